// Every export of the addon, and each refusal, many times over, two rounds at a time: run under
// valgrind (`make -C native valgrind`) and ASan (`make -C native sanitize`) to find leaks and
// invalid accesses in the C code. Keys are loaded again on each round and dropped, so their
// finalizers run when V8 collects them (--expose-gc).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';

const built = fileURLToPath(new URL('../build/coffer_digest_sign.node', import.meta.url));
const addon = createRequire(import.meta.url)(process.env.COFFER_NATIVE_ADDON ?? built);
const rounds = Number(process.argv[2] ?? 20);
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
const der = (key) =>
  key.type === 'private' ? key.export({ type: 'pkcs8', format: 'der' }) : key.export({ type: 'spki', format: 'der' });
const digest = crypto.createHash('sha256').update('exercise').digest();

async function round() {
  const rsaKey = addon.loadPrivateKey(der(rsa.privateKey));
  const rsaPublic = addon.loadPublicKey(der(rsa.publicKey));
  const ecKey = addon.loadPrivateKey(der(ec.privateKey));
  const ecPublic = addon.loadPublicKey(der(ec.publicKey));
  const pss = await addon.signPss(rsaKey, digest, 'sha256', 'sha1', 32);
  assert.equal(await addon.verifyPss(rsaPublic, digest, pss, 'sha256', 'sha1', 32), true);
  assert.equal(await addon.verifyPss(rsaPublic, digest, pss, 'sha256', 'sha256', 32), false);
  assert.equal(await addon.verifyPss(rsaPublic, digest, pss.subarray(1), 'sha256', 'sha1', 32), false);
  assert.equal(await addon.verifyPss(rsaPublic, digest, leadingZero, 'sha256', 'sha1', 32), true);
  assert.equal(await addon.verifyPss(rsaPublic, digest, leadingZero.subarray(1), 'sha256', 'sha1', 32), false);
  await assert.rejects(addon.signPss(rsaKey, digest, 'sha256', 'sha256', 500));
  for (const raw of [true, false]) {
    const signature = await addon.signEcdsa(ecKey, digest, raw);
    assert.equal(await addon.verifyEcdsa(ecPublic, digest, signature, raw), true);
    assert.equal(await addon.verifyEcdsa(ecPublic, digest, signature, !raw), false);
    assert.equal(await addon.verifyEcdsa(ecKey, digest, Buffer.alloc(96, 0xff), raw), false);
  }
  assert.throws(() => addon.loadPrivateKey(Buffer.concat([der(ec.privateKey), Buffer.alloc(1)])));
  assert.throws(() => addon.loadPublicKey(Buffer.from('not a key')));
  assert.throws(() => addon.signPss(ecKey, digest, 'sha256', 'sha256', 32));
  assert.throws(() => addon.signPss(rsaKey, digest, 'md5', 'sha256', 32));
  assert.throws(() => addon.signEcdsa(rsaKey, digest, true));
  assert.throws(() => addon.verifyEcdsa(ecKey, digest, Buffer.alloc(0), true));
  assert.throws(() => addon.signEcdsa({}, digest, true));
}

/** A signature whose first byte is zero: without that byte it is the same number, and must not verify. */
let leadingZero;

/** Its key is dropped on return: no external may live at exit, as Node frees none then. */
async function signWithLeadingZero() {
  const signer = addon.loadPrivateKey(der(rsa.privateKey));
  let signature;
  do signature = await addon.signPss(signer, digest, 'sha256', 'sha1', 32);
  while (signature[0] !== 0);
  return signature;
}

(async () => {
  leadingZero = await signWithLeadingZero();
  for (let i = 0; i < rounds; i++) {
    await Promise.all([round(), round()]);
    globalThis.gc?.();
  }
  // Finalizers run after the collection that finds their externals dead.
  for (let i = 0; i < 2; i++) {
    await setImmediate();
    globalThis.gc?.();
  }
  await setImmediate();
  console.log(`${rounds} rounds`);
})();
