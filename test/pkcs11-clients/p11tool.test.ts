import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Ran } from '../support/client-processes.js';
import { firstMissing, missing } from '../support/client-programs.js';
import { CLIENT_MODULE, moduleMissing, startClientEnv, type Pkcs11ClientEnv } from '../support/pkcs11-client-env.js';

/**
 * GnuTLS's p11tool on the module: the token, its objects after a login (PIN from GNUTLS_PIN),
 * and `--test-sign`, which signs with a private key in the token and verifies the signature
 * against the token's public key.
 */
const skip = firstMissing(moduleMissing, missing('pkcs11-tool', 'p11tool'));

const ok = (ran: Ran, what: string): void => assert.equal(ran.code, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);

describe(`p11tool (GnuTLS) on the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  const p11tool = (...args: string[]): Promise<Ran> =>
    p11.run('p11tool', ['--provider', p11.module, ...args], { env: { GNUTLS_PIN: p11.pin } });

  before(async () => {
    p11 = await startClientEnv();
  });
  after(async () => {
    await p11?.stop();
  });

  test('pkcs11-tool makes an RSA and an EC signing key', async () => {
    const rsa = ['--keypairgen', '--key-type', 'rsa:2048', '--label', 'gnutls-rsa', '--id', 'c1', '--usage-sign'];
    ok(await p11.userTool(...rsa), 'rsa keypairgen');
    const ec = ['--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'gnutls-ec', '--id', 'c2', '--usage-sign'];
    ok(await p11.userTool(...ec), 'ec keypairgen');
  });

  test('--list-tokens: the token, which requires a login', async () => {
    const ran = await p11tool('--list-tokens');
    ok(ran, '--list-tokens');
    assert.match(ran.stdout, /URL: pkcs11:.*token=/);
    assert.match(ran.stdout, /Flags: .*Requires login/);
    if (CLIENT_MODULE === 'coffer') assert.match(ran.stdout, /Manufacturer: Coffer/);
  });

  test('--list-all --login: both key pairs, the private keys sensitive', async () => {
    const ran = await p11tool('--list-all', '--login');
    ok(ran, '--list-all --login');
    const objects = ran.stdout.split(/^Object \d+:$/m).slice(1);
    const find = (type: string, label: string): string | undefined =>
      objects.find((object) => object.includes(`Type: ${type}`) && new RegExp(`Label: ${label}$`, 'm').test(object));
    for (const [type, label] of [
      ['Private key (RSA-2048)', 'gnutls-rsa'],
      ['Public key (RSA-2048)', 'gnutls-rsa'],
      ['Private key (EC/ECDSA-SECP256R1)', 'gnutls-ec'],
      ['Public key (EC/ECDSA-SECP256R1)', 'gnutls-ec'],
    ] as const)
      assert.ok(find(type, label), `${type} ${label} in:\n${ran.stdout}`);
    assert.match(find('Private key (RSA-2048)', 'gnutls-rsa')!, /Flags: .*CKA_SENSITIVE/);
  });

  for (const label of ['gnutls-rsa', 'gnutls-ec']) {
    test(`--test-sign ${label}: signed in the token, verified with the token's public key`, async () => {
      const ran = await p11tool('--login', '--test-sign', `pkcs11:object=${label};type=private`);
      ok(ran, '--test-sign');
      const said = ran.stdout + ran.stderr;
      assert.match(said, /Signing using \S+\.\.\. ok/);
      assert.match(said, /Verifying against public key in the token\.\.\. ok/);
    });
  }
});
