import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { signEcdsaDigest, signPssDigest, verifyEcdsaDigest, verifyPssDigest } from './digest-sign.js';

/**
 * The native addon itself (native/src), below the mechanisms: what it refuses, by the error it
 * throws, and the typed wrapper's answers. The mechanisms' tests prove the signatures.
 */
const ADDON = fileURLToPath(new URL('../../../../native/build/coffer_digest_sign.node', import.meta.url));
const addon = createRequire(import.meta.url)(ADDON) as Record<string, (...args: unknown[]) => unknown>;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pkcs8 = (key: typeof rsa.privateKey): Buffer => key.export({ type: 'pkcs8', format: 'der' });
const spki = (key: typeof rsa.publicKey): Buffer => key.export({ type: 'spki', format: 'der' });
const digest = createHash('sha256').update('message').digest();

const code = (expected: string, name?: string) => (error: unknown) => {
  assert.ok(error instanceof Error);
  assert.equal((error as { code?: string }).code, expected, error.message);
  if (name !== undefined) assert.equal(error.name, name);
  return true;
};

describe('the digest-sign addon', () => {
  test('exports its six functions and nothing else', () => {
    assert.deepEqual(Object.keys(addon).sort(), [
      'loadPrivateKey',
      'loadPublicKey',
      'signEcdsa',
      'signPss',
      'verifyEcdsa',
      'verifyPss',
    ]);
  });

  test('loads RSA and EC keys, and refuses anything else as a key', () => {
    assert.equal(typeof addon.loadPrivateKey!(pkcs8(rsa.privateKey)), 'object');
    assert.equal(typeof addon.loadPublicKey!(spki(ec.publicKey)), 'object');
    const ed = generateKeyPairSync('ed25519');
    const refused = [
      [addon.loadPrivateKey!, Buffer.concat([pkcs8(ec.privateKey), Buffer.alloc(1)])], // bytes after the key
      [addon.loadPrivateKey!, pkcs8(ed.privateKey)], // not RSA or EC
      [addon.loadPrivateKey!, Buffer.from('not a key')],
      [addon.loadPrivateKey!, Buffer.alloc(0)],
      [addon.loadPrivateKey!, spki(rsa.publicKey)],
      [addon.loadPublicKey!, pkcs8(rsa.privateKey)],
      [addon.loadPublicKey!, spki(ed.publicKey)],
    ] as const;
    for (const [load, der] of refused) assert.throws(() => load(der), code('ERR_COFFER_NATIVE_KEY'));
    assert.throws(() => addon.loadPrivateKey!('pem text'), code('ERR_COFFER_NATIVE_ARG', 'TypeError'));
    assert.throws(() => addon.loadPrivateKey!(), code('ERR_COFFER_NATIVE_ARG', 'TypeError'));
  });

  test('refuses what is not a key it loaded, a key of the wrong type, and bad arguments', async () => {
    const rsaKey = addon.loadPrivateKey!(pkcs8(rsa.privateKey));
    const ecKey = addon.loadPrivateKey!(pkcs8(ec.privateKey));
    const typeError = code('ERR_COFFER_NATIVE_ARG', 'TypeError');
    const rangeError = code('ERR_COFFER_NATIVE_ARG', 'RangeError');
    for (const notKey of [{}, pkcs8(rsa.privateKey), null, rsa.privateKey]) {
      assert.throws(() => addon.signEcdsa!(notKey, digest, true), typeError);
    }
    assert.throws(() => addon.signPss!(ecKey, digest, 'sha256', 'sha256', 32), typeError);
    assert.throws(() => addon.signEcdsa!(rsaKey, digest, true), typeError);
    assert.throws(() => addon.signEcdsa!(ecKey, digest, 'yes'), typeError);
    assert.throws(() => addon.signPss!(rsaKey, digest, 'md5', 'sha256', 32), rangeError);
    assert.throws(() => addon.signPss!(rsaKey, digest, 'sha256', 'sha3-256', 32), rangeError);
    assert.throws(() => addon.signPss!(rsaKey, digest, 'sha384', 'sha384', 32), rangeError); // digest length
    assert.throws(() => addon.signPss!(rsaKey, digest, 'sha256', 'sha256', -1), typeError);
    assert.throws(() => addon.signPss!(rsaKey, digest, 'sha256', 'sha256', 2.5), typeError);
    assert.throws(() => addon.signPss!(rsaKey, digest, 'sha256', 'sha256'), typeError);
    assert.throws(() => addon.signEcdsa!(ecKey, Buffer.alloc(65), true), rangeError);
    assert.throws(() => addon.signEcdsa!(ecKey, Buffer.alloc(0), true), rangeError);
    assert.throws(() => addon.verifyEcdsa!(ecKey, digest, Buffer.alloc(0), true), rangeError);
    assert.throws(() => addon.verifyEcdsa!(ecKey, digest, Buffer.alloc(1025), true), rangeError);
    // A salt the key cannot hold reaches OpenSSL, which refuses it: the promise rejects, saying why.
    await assert.rejects(
      addon.signPss!(rsaKey, digest, 'sha256', 'sha256', 223) as Promise<Buffer>,
      (error: Error) => code('ERR_COFFER_NATIVE_SIGN')(error) && /data too large|salt/i.test(error.message),
    );
  });

  test('the wrapper: r‖s or DER, concurrent use of one key, and false for unreadable signatures', async () => {
    const raw = await signEcdsaDigest(ec.privateKey, digest, 'p1363');
    assert.equal(raw.length, 64);
    assert.equal(verify('sha256', Buffer.from('message'), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, raw), true);
    const der = await signEcdsaDigest(ec.privateKey, digest, 'der');
    assert.equal(der[0], 0x30);
    assert.equal(verify('sha256', Buffer.from('message'), ec.publicKey, der), true);
    assert.equal(await verifyEcdsaDigest(ec.publicKey, digest, der, 'der'), true);
    assert.equal(await verifyEcdsaDigest(ec.publicKey, digest, der, 'p1363'), false);
    assert.equal(await verifyEcdsaDigest(ec.publicKey, digest, Buffer.alloc(2000), 'der'), false);
    assert.equal(await verifyEcdsaDigest(ec.publicKey, digest, Buffer.alloc(0), 'p1363'), false);
    const choice = { hash: 'sha256', mgf1Hash: 'sha256', saltLength: 32 } as const;
    const signature = await signPssDigest(rsa.privateKey, digest, choice);
    assert.equal(await verifyPssDigest(rsa.publicKey, digest, signature, choice), true);
    assert.equal(await verifyPssDigest(rsa.publicKey, digest, Buffer.alloc(0), choice), false);
    // Many signatures at once over one KeyObject (its key parsed once, shared by the pool's threads).
    const many = await Promise.all(Array.from({ length: 100 }, () => signEcdsaDigest(ec.privateKey, digest, 'p1363')));
    const checks = await Promise.all(many.map((s) => verifyEcdsaDigest(ec.publicKey, digest, s, 'p1363')));
    assert.deepEqual(new Set(checks), new Set([true]));
  });
});
