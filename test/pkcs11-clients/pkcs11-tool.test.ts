import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Ran } from '../support/client-processes.js';
import { firstMissing, missing } from '../support/client-programs.js';
import {
  CLIENT_MODULE,
  moduleMissing,
  publicKeyPem,
  startClientEnv,
  type Pkcs11ClientEnv,
} from '../support/pkcs11-client-env.js';

/**
 * OpenSC's pkcs11-tool, unmodified, on the module: slots, mechanisms, objects, key generation,
 * signatures checked by OpenSSL from the exported public keys, AES encryption, and the tool's
 * own self-test. Keys are made by the tool; nothing is set up behind the module's back.
 */
const skip = firstMissing(moduleMissing, missing('pkcs11-tool', 'openssl'));

/** OpenSC's version: pkcs11-tool encrypts with AES-GCM from 0.24 on. */
function openscVersion(): [number, number] {
  const info = spawnSync('opensc-tool', ['--info'], { encoding: 'utf8' });
  const match = /OpenSC (\d+)\.(\d+)/.exec(info.stdout ?? '');
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}
const [major, minor] = openscVersion();
const skipGcm =
  major > 0 || minor >= 24 ? false : `pkcs11-tool of OpenSC ${major}.${minor} has no AES-GCM encryption (0.24 has)`;

const ok = (ran: Ran, what: string): void => assert.equal(ran.code, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);

describe(`pkcs11-tool on the ${CLIENT_MODULE} module`, { skip }, () => {
  let p11: Pkcs11ClientEnv;
  const file = (name: string): string => join(p11.dir, name);
  const data = 'a document to sign\n';

  before(async () => {
    p11 = await startClientEnv();
    await writeFile(file('data.txt'), data);
  });
  after(async () => {
    await p11?.stop();
  });

  test('-L: the slot, with a token that needs a login', async () => {
    const ran = await p11.tool('-L');
    ok(ran, '-L');
    assert.match(ran.stdout, /token flags\s+:.*login required/);
    assert.match(ran.stdout, /token flags\s+:.*token initialized/);
  });

  // pkcs11-tool names CKM_EC_KEY_PAIR_GEN by its older alias ECDSA-KEY-PAIR-GEN.
  test('-M: key generation, signature and AES mechanisms', async () => {
    const ran = await p11.tool('-M');
    ok(ran, '-M');
    for (const name of [
      'RSA-PKCS-KEY-PAIR-GEN',
      'ECDSA-KEY-PAIR-GEN',
      'AES-KEY-GEN',
      'SHA256-RSA-PKCS',
      'ECDSA',
      'AES-CBC-PAD',
    ])
      assert.match(ran.stdout, new RegExp(`^\\s+${name}[,\\s]`, 'm'), name);
  });

  test('--keypairgen --key-type rsa:2048', async () => {
    const ran = await p11.userTool('--keypairgen', '--key-type', 'rsa:2048', '--label', 'tool-rsa', '--id', '01');
    ok(ran, 'rsa keypairgen');
    assert.match(ran.stdout, /Private Key Object; RSA/);
    assert.match(ran.stdout, /Public Key Object; RSA 2048 bits/);
  });

  test('--keypairgen --key-type EC:prime256v1', async () => {
    const ran = await p11.userTool('--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'tool-ec', '--id', '02');
    ok(ran, 'ec keypairgen');
    assert.match(ran.stdout, /Private Key Object; EC/);
    assert.match(ran.stdout, /EC_PARAMS:\s+06082a8648ce3d030107/, 'the P-256 OID');
  });

  test('--keygen --key-type AES:32', async () => {
    const ran = await p11.userTool('--keygen', '--key-type', 'AES:32', '--label', 'tool-aes', '--id', '03');
    ok(ran, 'aes keygen');
    assert.match(ran.stdout, /Secret Key Object; AES length 32/);
  });

  test('--login -O: the three keys, private ones after login', async () => {
    const ran = await p11.userTool('-O');
    ok(ran, '-O');
    assert.doesNotMatch(ran.stderr, /error:/);
    for (const [kind, label] of [
      ['Private Key Object; RSA', 'tool-rsa'],
      ['Public Key Object; RSA 2048 bits', 'tool-rsa'],
      ['Private Key Object; EC', 'tool-ec'],
      ['Secret Key Object; AES length 32', 'tool-aes'],
    ])
      assert.match(ran.stdout, new RegExp(`${kind}[^\\n]*\\n\\s+label:\\s+${label}\\n`), `${kind} ${label}`);
  });

  test('--sign SHA256-RSA-PKCS: --verify and openssl accept it, and refuse other data', async () => {
    const signed = await p11.userTool(
      ...['--sign', '--mechanism', 'SHA256-RSA-PKCS', '--id', '01'],
      ...io('data.txt', 'rsa.sig'),
    );
    ok(signed, 'sign');
    assert.equal((await readFile(file('rsa.sig'))).length, 256);
    const verify = ['--verify', '--mechanism', 'SHA256-RSA-PKCS', '--id', '01', '--signature-file', file('rsa.sig')];
    const verified = await p11.userTool(...verify, '--input-file', file('data.txt'));
    ok(verified, 'verify');
    assert.match(verified.stdout, /Signature is valid/);
    await writeFile(file('other.txt'), 'another document\n');
    const refused = await p11.userTool(...verify, '--input-file', file('other.txt'));
    // pkcs11-tool 0.23 exits 0 either way; what it prints tells.
    assert.doesNotMatch(refused.stdout, /Signature is valid/);
    assert.match(refused.stdout + refused.stderr, /Invalid signature|CKR_SIGNATURE_INVALID/);
    const pub = await publicKeyPem(p11, '01', 'rsa');
    ok(pub, '--read-object --type pubkey');
    const checked = await p11.run('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      pub.pem,
      '-signature',
      file('rsa.sig'),
      file('data.txt'),
    ]);
    ok(checked, 'openssl dgst -verify');
    assert.match(checked.stdout, /Verified OK/);
  });

  test('--sign ECDSA over a SHA-256 digest: --verify and openssl accept it', async () => {
    const digest = await p11.run('openssl', [
      'dgst',
      '-sha256',
      '-binary',
      '-out',
      file('digest.bin'),
      file('data.txt'),
    ]);
    ok(digest, 'openssl dgst');
    const args = ['--mechanism', 'ECDSA', '--id', '02', '--signature-format', 'openssl'];
    ok(await p11.userTool('--sign', ...args, ...io('digest.bin', 'ec.sig')), 'sign');
    const verified = await p11.userTool(
      ...['--verify', ...args, '--input-file', file('digest.bin'), '--signature-file', file('ec.sig')],
    );
    ok(verified, 'verify');
    assert.match(verified.stdout, /Signature is valid/);
    const pub = await publicKeyPem(p11, '02', 'ec');
    ok(pub, '--read-object --type pubkey');
    const checked = await p11.run('openssl', [
      ...['pkeyutl', '-verify', '-pubin', '-inkey', pub.pem],
      ...['-in', file('digest.bin'), '-sigfile', file('ec.sig')],
    ]);
    ok(checked, 'openssl pkeyutl -verify');
    assert.match(checked.stdout, /Signature Verified Successfully/);
  });

  test(
    '--sign ECDSA-SHA256: the module hashes; openssl accepts it',
    { skip: CLIENT_MODULE === 'softhsm' && 'SoftHSM2 of Debian 12 has no CKM_ECDSA_SHA256' },
    async () => {
      const args = ['--sign', '--mechanism', 'ECDSA-SHA256', '--id', '02', '--signature-format', 'openssl'];
      ok(await p11.userTool(...args, ...io('data.txt', 'ec-sha256.sig')), 'sign');
      const checked = await p11.run('openssl', [
        ...['dgst', '-sha256', '-verify', file('ec.pub.pem')],
        ...['-signature', file('ec-sha256.sig'), file('data.txt')],
      ]);
      ok(checked, 'openssl dgst -verify');
      assert.match(checked.stdout, /Verified OK/);
    },
  );

  test('--encrypt / --decrypt AES-CBC-PAD with --iv: a round trip', async () => {
    const plaintext = randomBytes(100);
    await writeFile(file('plain.bin'), plaintext);
    const iv = randomBytes(16).toString('hex');
    const args = ['--mechanism', 'AES-CBC-PAD', '--id', '03', '--iv', iv];
    ok(await p11.userTool('--encrypt', ...args, ...io('plain.bin', 'cbc.bin')), 'encrypt');
    const ciphertext = await readFile(file('cbc.bin'));
    assert.equal(ciphertext.length, 112, 'padded to whole blocks');
    assert.ok(!ciphertext.includes(plaintext.subarray(0, 16)));
    ok(await p11.userTool('--decrypt', ...args, ...io('cbc.bin', 'cbc-plain.bin')), 'decrypt');
    assert.deepEqual(await readFile(file('cbc-plain.bin')), plaintext);
  });

  test('--encrypt / --decrypt AES-GCM: a round trip', { skip: skipGcm }, async () => {
    await p11.allowPolicy('allowCallerIv');
    const plaintext = randomBytes(100);
    await writeFile(file('gcm-plain.bin'), plaintext);
    const args = ['--mechanism', 'AES-GCM', '--id', '03', '--iv', randomBytes(12).toString('hex')];
    ok(await p11.userTool('--encrypt', ...args, ...io('gcm-plain.bin', 'gcm.bin')), 'encrypt');
    assert.equal((await readFile(file('gcm.bin'))).length, 116, 'with a 16-byte tag');
    ok(await p11.userTool('--decrypt', ...args, ...io('gcm.bin', 'gcm-out.bin')), 'decrypt');
    assert.deepEqual(await readFile(file('gcm-out.bin')), plaintext);
  });

  test(
    '--test --login: the tool’s self-test passes',
    {
      skip:
        CLIENT_MODULE === 'softhsm' &&
        'SoftHSM2 refuses the OAEP label pkcs11-tool --test decrypts with (C_DecryptInit CKR_ARGUMENTS_BAD)',
    },
    async () => {
      const ran = await p11.userTool('--test');
      const lines = `${ran.stdout}\n${ran.stderr}`.split('\n');
      const bad = lines.filter((line) => /failed|FAILED|ERR|error:/.test(line));
      assert.deepEqual(bad, [], `${ran.stdout}\n${ran.stderr}`);
      ok(ran, '--test');
      assert.match(ran.stdout, /^No errors$/m);
    },
  );

  /** --input-file and --output-file in the test's dir. */
  function io(input: string, output: string): string[] {
    return ['--input-file', file(input), '--output-file', file(output)];
  }
});
