import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Ran } from '../support/client-processes.js';
import { firstMissing, missing, missingEngine } from '../support/client-programs.js';
import { writeEngineConf } from '../support/openssl-engine-conf.js';
import {
  CLIENT_MODULE,
  moduleMissing,
  publicKeyPem,
  startClientEnv,
  uriValue,
  type Pkcs11ClientEnv,
} from '../support/pkcs11-client-env.js';

/**
 * OpenSSL 3 through libp11's pkcs11 engine, loaded from an openssl.cnf: signatures with keys
 * that stay in the module, and a certificate authority whose key is in the module — it signs
 * its own certificate and a leaf's, and `openssl verify` accepts the chain.
 */
const skip = firstMissing(moduleMissing, missing('pkcs11-tool', 'openssl'), missingEngine());

const ok = (ran: Ran, what: string): void => assert.equal(ran.code, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);

describe(`openssl with the pkcs11 engine on the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  let openssl: (...args: string[]) => Promise<Ran>;
  const file = (name: string): string => join(p11.dir, name);
  /** A private key's URI, the PIN in it (`pin-value`) unless the command passes it with -passin. */
  const key = (label: string, withPin = true): string =>
    `pkcs11:object=${label};type=private${withPin ? `;pin-value=${uriValue(p11.pin)}` : ''}`;
  const engine = ['-engine', 'pkcs11'];

  before(async () => {
    p11 = await startClientEnv();
    const conf = await writeEngineConf(file('openssl.cnf'), p11.module);
    openssl = (...args) => p11.run('openssl', args, { env: { OPENSSL_CONF: conf } });
    await writeFile(file('data.txt'), 'signed by a key openssl never sees\n');
  });
  after(async () => {
    await p11?.stop();
  });

  test('pkcs11-tool makes an RSA and an EC signing key', async () => {
    const rsa = ['--keypairgen', '--key-type', 'rsa:2048', '--label', 'ossl-rsa', '--id', 'a1', '--usage-sign'];
    ok(await p11.userTool(...rsa), 'rsa keypairgen');
    const ec = ['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'ossl-ec', '--id', 'a2', '--usage-sign'];
    ok(await p11.userTool(...ec), 'ec keypairgen');
    ok(await publicKeyPem(p11, 'a1', 'rsa'), 'export rsa');
    ok(await publicKeyPem(p11, 'a2', 'ec'), 'export ec');
  });

  test('openssl engine pkcs11 -t: the engine is available', async () => {
    const ran = await openssl('engine', 'pkcs11', '-t');
    ok(ran, 'engine -t');
    assert.match(ran.stdout, /\[ available \]/);
  });

  test('pkeyutl -sign with the RSA key (PIN in the URI): openssl verifies it in software', async () => {
    ok(await openssl('dgst', '-sha256', '-binary', '-out', file('digest.bin'), file('data.txt')), 'dgst');
    const signed = await openssl(
      ...['pkeyutl', ...engine, '-keyform', 'engine', '-inkey', key('ossl-rsa'), '-sign'],
      ...['-pkeyopt', 'digest:sha256', '-in', file('digest.bin'), '-out', file('rsa.sig')],
    );
    ok(signed, 'pkeyutl -sign');
    const verified = await openssl(
      ...['pkeyutl', '-verify', '-pubin', '-inkey', file('rsa.pub.pem'), '-pkeyopt', 'digest:sha256'],
      ...['-in', file('digest.bin'), '-sigfile', file('rsa.sig')],
    );
    ok(verified, 'pkeyutl -verify');
    assert.match(verified.stdout, /Signature Verified Successfully/);
  });

  test('pkeyutl -sign with the RSA key and PSS padding: the engine signs the digest with CKM_RSA_PKCS_PSS', async () => {
    const pss = ['digest:sha256', 'rsa_padding_mode:pss', 'rsa_pss_saltlen:32'].flatMap((o) => ['-pkeyopt', o]);
    const signed = await openssl(
      ...['pkeyutl', ...engine, '-keyform', 'engine', '-inkey', key('ossl-rsa'), '-sign', ...pss],
      ...['-in', file('digest.bin'), '-out', file('rsa-pss.sig')],
    );
    ok(signed, 'pkeyutl -sign (PSS)');
    const verify = (signature: string) =>
      openssl(
        ...['pkeyutl', '-verify', '-pubin', '-inkey', file('rsa.pub.pem'), ...pss],
        ...['-in', file('digest.bin'), '-sigfile', file(signature)],
      );
    const verified = await verify('rsa-pss.sig');
    ok(verified, 'pkeyutl -verify (PSS)');
    assert.match(verified.stdout, /Signature Verified Successfully/);
    assert.notEqual((await verify('rsa.sig')).code, 0, 'the PKCS#1 v1.5 signature is another signature');
    if (p11.coffer) {
      const [last] = (await p11.coffer.eventsByUser('crypto.sign')).slice(-1);
      assert.equal(last?.details?.mechanism, 'RSA_PKCS_PSS');
    }
  });

  test('pkeyutl -sign with the EC key (PIN by -passin): openssl verifies it in software', async () => {
    const signed = await p11.run(
      'openssl',
      [
        ...['pkeyutl', ...engine, '-keyform', 'engine', '-inkey', key('ossl-ec', false), '-passin', 'env:P11_PIN'],
        ...['-sign', '-in', file('digest.bin'), '-out', file('ec.sig')],
      ],
      { env: { OPENSSL_CONF: file('openssl.cnf'), P11_PIN: p11.pin } },
    );
    ok(signed, 'pkeyutl -sign');
    const verified = await openssl(
      ...['pkeyutl', '-verify', '-pubin', '-inkey', file('ec.pub.pem')],
      ...['-in', file('digest.bin'), '-sigfile', file('ec.sig')],
    );
    ok(verified, 'pkeyutl -verify');
    assert.match(verified.stdout, /Signature Verified Successfully/);
  });

  for (const [label, kind] of [
    ['ossl-rsa', 'rsa'],
    ['ossl-ec', 'ec'],
  ] as const) {
    test(`a CA whose ${kind.toUpperCase()} key stays in the module signs a leaf; openssl verify accepts it`, async () => {
      const named = (name: string): string => file(`${kind}-${name}`);
      const ca = await openssl(
        ...['req', '-new', '-x509', ...engine, '-keyform', 'engine', '-key', key(label), '-sha256', '-days', '2'],
        ...['-subj', '/CN=Coffer test CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
        ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', named('ca.pem')],
      );
      ok(ca, 'req -x509');
      const caKey = await openssl('x509', '-in', named('ca.pem'), '-noout', '-pubkey');
      ok(caKey, 'x509 -pubkey');
      const exported = await readFile(file(`${kind}.pub.pem`), 'utf8');
      assert.equal(caKey.stdout, exported, 'the CA certificate holds the module’s key');

      const csr = await openssl(
        ...['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', named('leaf.key'), '-subj', '/CN=leaf.test', '-out', named('leaf.csr')],
      );
      ok(csr, 'req -new (software key)');
      const leaf = await openssl(
        ...['x509', '-req', '-in', named('leaf.csr'), '-CA', named('ca.pem'), '-CAkey', key(label)],
        ...['-CAkeyform', 'engine', ...engine, '-set_serial', '4242', '-days', '1', '-sha256'],
        ...['-out', named('leaf.pem')],
      );
      ok(leaf, 'x509 -req -CA');
      const verified = await openssl('verify', '-CAfile', named('ca.pem'), named('leaf.pem'));
      ok(verified, 'verify');
      assert.match(verified.stdout, /leaf\.pem: OK/);
      const stranger = await openssl(
        ...['req', '-new', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', named('other.key'), '-subj', '/CN=Coffer test CA', '-out', named('other-ca.pem')],
      );
      ok(stranger, 'a software CA of the same name');
      const refused = await openssl('verify', '-CAfile', named('other-ca.pem'), named('leaf.pem'));
      assert.notEqual(refused.code, 0, 'another CA of the same name does not verify the leaf');
    });
  }
});
