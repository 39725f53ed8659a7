import assert from 'node:assert/strict';
import {
  constants,
  createDecipheriv,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Session } from '../src/identity/sessions.js';
import { codeOf, type ApiAnswer } from './support/api.js';
import { LeakFinder } from './support/leak-finder.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * The security review's attacks (Clulow-style: moving a key between roles, or between users,
 * until its bytes or a victim's plaintext come out), as regression tests. Each test runs the
 * reviewer's request sequence over the real API and asserts the refusal at the step the fix
 * closes, then that no answer of the whole sequence carries the victim's key bytes (read in
 * process) or the victim's plaintext.
 */
interface Key {
  handle: string;
  attributes: Record<string, boolean>;
  checkValue?: string;
}
const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64');
/** Reads any key in process, to know the bytes no answer may carry. */
const inProcess: Session = { id: 'clulow-attacks', username: 'admin', role: 'admin', createdAt: 0, lastUsedAt: 0 };

describe('attacks from the security review are refused', () => {
  let t: TestNode;
  let alice: string;
  let bob: string;
  let admin: string;
  // Bob's own RSA key pair, made off the node: its public half is imported as a wrapping key.
  let bobPrivate: KeyObject;
  let bobPublicPem: string;
  /** Every answer of the running test, searched for the victim's secrets at its end. */
  let answers: ApiAnswer[] = [];

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    bob = (await t.cryptoUser('bob')).token;
    admin = await t.api.login('admin', t.adminPassword);
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    bobPrivate = pair.privateKey;
    bobPublicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  });
  beforeEach(() => {
    answers = [];
  });
  after(() => t.stop());

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const answer = await t.api.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    answers.push(answer);
    return answer;
  };
  const ok = (answer: ApiAnswer, what: string) => assert.ok(answer.status < 300, `${what}: ${answer.text}`);
  const refused = (answer: ApiAnswer, code: string, what: string) =>
    assert.equal(codeOf(answer), code, `${what} must be refused with ${code}: ${answer.status} ${answer.text}`);
  const body = <T>(answer: ApiAnswer) => answer.body as T;
  const gen = async (token: string, attributes: Record<string, boolean>, keyType = 'aes') => {
    const made = await call(token, 'POST', '/v1/keys/symmetric', { keyType, keyLengthBytes: 32, attributes });
    ok(made, 'generate');
    return body<{ key: Key }>(made).key;
  };
  const keyBytes = async (key: Key): Promise<Buffer> => {
    const loaded = await t.node.gate.find(inProcess, key.handle);
    assert.ok(loaded, `key ${key.handle} is in the store`);
    return loaded.key.export();
  };
  /** No answer of this test carries any of the victim's secrets (key bytes, plaintext). */
  const nothingLeaked = (secrets: Record<string, Buffer | string>) => {
    const finder = new LeakFinder();
    for (const [name, secret] of Object.entries(secrets)) {
      const bytes = Buffer.from(secret);
      assert.ok(bytes.length >= 8, `${name}: a searchable secret is 8 bytes or more`);
      finder.protect(name, bytes);
    }
    for (const answer of answers) {
      const leak = finder.findIn(answer.text);
      assert.equal(leak, undefined, `an answer carries ${leak?.name} at ${leak?.where}: ${answer.text}`);
    }
  };
  /**
   * Bob's exfiltration channel: his RSA public key imported with wrap, to wrap a key and decrypt it
   * off the node. Returns the wrap answer (a refusal, when the boundary holds) and, if the wrap was
   * answered, the bytes he would read.
   */
  const exfiltrate = async (token: string, key: Key): Promise<{ answer: ApiAnswer; bytes?: Buffer }> => {
    const imported = await call(token, 'POST', '/v1/keys/import', { pem: bobPublicPem, attributes: { wrap: true } });
    ok(imported, 'import public wrapping key');
    const pub = body<{ key: Key }>(imported).key;
    const answer = await call(token, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: pub.handle,
      keyHandle: key.handle,
      mechanism: 'RSA_PKCS_OAEP',
      hash: 'sha256',
    });
    if (answer.status >= 300) return { answer };
    const bytes = privateDecrypt(
      { key: bobPrivate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(body<{ wrappedKey: string }>(answer).wrappedKey, 'base64'),
    );
    return { answer, bytes };
  };
  const gcmEncrypt = async (token: string, key: Key, plaintext: string) => {
    const enc = await call(token, 'POST', '/v1/crypto/encrypt', {
      keyHandle: key.handle,
      mechanism: 'AES_GCM',
      plaintext: b64(plaintext),
    });
    ok(enc, 'encrypt');
    return body<{ ciphertext: string; iv: string }>(enc);
  };
  const gcmOffline = (keyBytes: Buffer, ct: { ciphertext: string; iv: string }) => {
    const all = Buffer.from(ct.ciphertext, 'base64');
    const d = createDecipheriv('aes-256-gcm', keyBytes, Buffer.from(ct.iv, 'base64'));
    d.setAuthTag(all.subarray(all.length - 16));
    return Buffer.concat([d.update(all.subarray(0, all.length - 16)), d.final()]).toString();
  };

  const hkdf = { mechanism: 'HKDF_DERIVE', keyType: 'aes', keyLengthBytes: 32, salt: b64('s'), info: b64('app') };
  /** Alice's generic-secret derive base, shared with Bob, and the key she derives from it. */
  const deriveFrom = (base: Key, token: string, attributes: Record<string, boolean>) =>
    call(token, 'POST', '/v1/keys/derive', { baseKeyHandle: base.handle, ...hkdf, attributes });
  const sharedDeriveBase = async () => {
    const base = await gen(alice, { derive: true }, 'generic-secret');
    ok(await call(alice, 'POST', `/v1/keys/${base.handle}/shares`, { username: 'bob' }), 'share base');
    const derived = await call(alice, 'POST', '/v1/keys/derive', { baseKeyHandle: base.handle, ...hkdf });
    ok(derived, 'alice derives');
    const aliceKey = body<{ key: Key }>(derived).key;
    assert.equal(aliceKey.attributes.sensitive, true);
    assert.equal(aliceKey.attributes.extractable, false);
    return { base, aliceKey };
  };

  test('a co-user of a derive base re-derives the owner’s sensitive, unextractable key as extractable', async () => {
    const { base, aliceKey } = await sharedDeriveBase();
    await gcmEncrypt(alice, aliceKey, 'alice payroll');
    // Bob asks for the same derivation, extractable: refused (another user's, sensitive base).
    refused(
      await deriveFrom(base, bob, { extractable: true }),
      'ATTRIBUTE_VALUE_INVALID',
      'an extractable key derived from another user’s base',
    );
    // Nor as not sensitive; nor may Alice herself derive an extractable key from her sensitive base.
    refused(
      await deriveFrom(base, bob, { sensitive: false }),
      'ATTRIBUTE_VALUE_INVALID',
      'a non-sensitive key derived from a sensitive base',
    );
    refused(
      await deriveFrom(base, alice, { extractable: true }),
      'ATTRIBUTE_VALUE_INVALID',
      'an extractable key derived from a sensitive base',
    );
    // The copy Bob may derive is unextractable: his channel out is refused.
    const copy = await call(bob, 'POST', '/v1/keys/derive', { baseKeyHandle: base.handle, ...hkdf });
    ok(copy, 'bob derives an unextractable copy');
    const copyKey = body<{ key: Key }>(copy).key;
    assert.equal(copyKey.attributes.extractable, false);
    const out = await exfiltrate(bob, copyKey);
    // An imported public key wraps nothing until an admin trusts it: the channel is closed first.
    refused(out.answer, 'KEY_FUNCTION_NOT_PERMITTED', 'wrapping the derived copy under Bob’s public key');
    assert.equal(out.bytes, undefined);
    nothingLeaked({ 'alice’s derived key': await keyBytes(aliceKey), 'alice’s plaintext': 'alice payroll' });
  });

  // Sharing a base key for derive shares what it derives: a user the base is shared with derives
  // the same key from the same parameters, as one an AES key is shared with decrypts what it
  // encrypts (docs/operators/security-model.md). What it never gets is the bytes.
  test('a co-user of a derive base derives the owner’s key for use, never its bytes', async () => {
    const { base, aliceKey } = await sharedDeriveBase();
    await gcmEncrypt(alice, aliceKey, 'alice payroll');
    const copy = await call(bob, 'POST', '/v1/keys/derive', { baseKeyHandle: base.handle, ...hkdf });
    ok(copy, 'a shared user derives from the base');
    const derived = body<{ key: Key }>(copy).key;
    assert.equal(derived.checkValue, aliceKey.checkValue, 'the same derivation, the same key');
    assert.deepEqual([derived.attributes.sensitive, derived.attributes.extractable], [true, false]);
    const out = await exfiltrate(bob, derived);
    assert.ok(out.answer.status >= 400, out.answer.text);
    nothingLeaked({ 'alice’s derived key': await keyBytes(aliceKey) });
  });

  test('a wrap-with-trusted key is laundered by wrap/unwrap under a trusted key into a copy exportable under any key', async () => {
    const trusted = await gen(alice, { wrap: true, unwrap: true });
    ok(await call(admin, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { trusted: true } }), 'admin trusts');
    const guarded = await gen(alice, { extractable: true, wrapWithTrusted: true });
    await gcmEncrypt(alice, guarded, 'only under trusted keys');
    // Direct export under an untrusted key is refused …
    refused(
      await call(alice, 'POST', '/v1/keys/wrap', {
        wrappingKeyHandle: (await gen(alice, { wrap: true })).handle,
        keyHandle: guarded.handle,
        mechanism: 'AES_KEY_WRAP_PAD',
      }),
      'KEY_NOT_WRAPPABLE',
      'wrapping a wrap-with-trusted key under an untrusted key',
    );
    // … and so is the detour: wrap under the trusted key, unwrap asking wrapWithTrusted false.
    const wrapped = await call(alice, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: trusted.handle,
      keyHandle: guarded.handle,
      mechanism: 'AES_KEY_WRAP_PAD',
    });
    ok(wrapped, 'wrap under trusted');
    const unwrap = (attributes: Record<string, boolean>) =>
      call(alice, 'POST', '/v1/keys/unwrap', {
        unwrappingKeyHandle: trusted.handle,
        mechanism: 'AES_KEY_WRAP_PAD',
        wrappedKey: body<{ wrappedKey: string }>(wrapped).wrappedKey,
        class: 'secret',
        keyType: 'aes',
        attributes,
      });
    const unwrapped = await unwrap({ extractable: true, wrapWithTrusted: false, encrypt: true, decrypt: true });
    ok(unwrapped, 'unwrap a copy');
    const copy = body<{ key: Key }>(unwrapped).key;
    assert.equal(copy.attributes.wrapWithTrusted, true, 'a copy unwrapped under a trusted key stays wrap-with-trusted');
    refused(
      await call(alice, 'PATCH', `/v1/keys/${copy.handle}`, { attributes: { wrapWithTrusted: false } }),
      'ATTRIBUTE_READ_ONLY',
      'turning wrap-with-trusted off on the copy',
    );
    const out = await exfiltrate(alice, copy);
    refused(out.answer, 'KEY_FUNCTION_NOT_PERMITTED', 'wrapping the unwrapped copy under an untrusted public key');
    assert.equal(out.bytes, undefined);
    // Nor may the copy come back as a wrapping key (to wrap under itself, or anywhere).
    refused(
      await unwrap({ wrap: true, unwrap: true }),
      'ATTRIBUTE_VALUE_INVALID',
      'unwrapping the copy as a wrapping key',
    );
    refused(
      await unwrap({ extractable: true, wrap: true }),
      'TEMPLATE_INCONSISTENT',
      'unwrapping the copy as an extractable wrapping key',
    );
    nothingLeaked({ 'the guarded key': await keyBytes(guarded), 'alice’s plaintext': 'only under trusted keys' });
  });

  test('a trusted key’s owner drops trust, turns the wrapping key into a data key, and decrypts what others wrapped', async () => {
    const trusted = await gen(alice, { wrap: true, unwrap: true });
    ok(await call(alice, 'POST', `/v1/keys/${trusted.handle}/shares`, { username: 'bob' }), 'share trusted');
    ok(await call(admin, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { trusted: true } }), 'admin trusts');
    // Bob's key may leave only under a trusted key; he backs it up under Alice's trusted one.
    const bobKey = await gen(bob, { extractable: true, wrapWithTrusted: true });
    await gcmEncrypt(bob, bobKey, 'bob secret');
    const wrapped = await call(bob, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: trusted.handle,
      keyHandle: bobKey.handle,
      mechanism: 'AES_GCM',
    });
    ok(wrapped, 'bob wraps under trusted');
    const blob = Buffer.from(body<{ wrappedKey: string }>(wrapped).wrappedKey, 'base64');
    // Alice may still drop trust (the attribute is hers to lower) …
    ok(await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { trusted: false } }), 'drop trust');
    // … but a usage flag only goes off: the wrapping key never becomes a data key, in one step or two.
    refused(
      await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, {
        attributes: { wrap: false, unwrap: false, decrypt: true },
      }),
      'ATTRIBUTE_READ_ONLY',
      'wrap and unwrap off with decrypt on',
    );
    const kept = await call(alice, 'GET', `/v1/keys/${trusted.handle}`);
    ok(kept, 'read the key');
    const attributes = body<{ key: Key }>(kept).key.attributes;
    assert.deepEqual(
      { wrap: attributes.wrap, unwrap: attributes.unwrap, decrypt: attributes.decrypt, encrypt: attributes.encrypt },
      { wrap: true, unwrap: true, decrypt: false, encrypt: false },
      'the refused change left nothing half done',
    );
    ok(
      await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { wrap: false, unwrap: false } }),
      'wrap and unwrap off',
    );
    refused(
      await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { decrypt: true } }),
      'ATTRIBUTE_READ_ONLY',
      'decrypt on after wrap and unwrap went off',
    );
    refused(
      await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { encrypt: true, unwrap: true } }),
      'ATTRIBUTE_READ_ONLY',
      'encrypt or unwrap back on',
    );
    // An AES_GCM wrapped key is iv‖ciphertext‖tag: AES_GCM decrypt would open it.
    refused(
      await call(alice, 'POST', '/v1/crypto/decrypt', {
        keyHandle: trusted.handle,
        mechanism: 'AES_GCM',
        iv: b64(blob.subarray(0, 12)),
        ciphertext: b64(blob.subarray(12)),
      }),
      'KEY_FUNCTION_NOT_PERMITTED',
      'decrypting Bob’s wrapped key with the former wrapping key',
    );
    nothingLeaked({ 'bob’s key': await keyBytes(bobKey), 'bob’s plaintext': 'bob secret' });
  });

  test('a key pair is a wrapping key (public half) and a data key (private half) at once', async () => {
    refused(
      await call(alice, 'POST', '/v1/keys/pairs', {
        keyType: 'rsa',
        modulusBits: 2048,
        publicAttributes: { wrap: true },
        privateAttributes: { decrypt: true },
      }),
      'TEMPLATE_INCONSISTENT',
      'a pair whose public half wraps and private half decrypts',
    );
    refused(
      await call(alice, 'POST', '/v1/keys/pairs', {
        keyType: 'rsa',
        modulusBits: 2048,
        publicAttributes: { encrypt: true },
        privateAttributes: { unwrap: true },
      }),
      'TEMPLATE_INCONSISTENT',
      'a pair whose public half encrypts and private half unwraps',
    );
    // A proper wrapping pair cannot be turned into the same split later.
    const made = await call(alice, 'POST', '/v1/keys/pairs', {
      keyType: 'rsa',
      modulusBits: 2048,
      publicAttributes: { wrap: true },
      privateAttributes: { unwrap: true },
    });
    ok(made, 'a wrapping pair');
    const { publicKey, privateKey } = body<{ publicKey: Key; privateKey: Key }>(made);
    refused(
      await call(alice, 'PATCH', `/v1/keys/${privateKey.handle}`, { attributes: { decrypt: true } }),
      'ATTRIBUTE_READ_ONLY',
      'decrypt on for the private half',
    );
    ok(await call(alice, 'POST', `/v1/keys/${privateKey.handle}/shares`, { username: 'bob' }), 'share private');
    const aliceKey = await gen(alice, { extractable: true });
    await gcmEncrypt(alice, aliceKey, 'alice backup');
    const wrapped = await call(alice, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: publicKey.handle,
      keyHandle: aliceKey.handle,
      mechanism: 'RSA_PKCS_OAEP',
      hash: 'sha256',
    });
    ok(wrapped, 'alice wraps (backs up) her key');
    // The wrapped key is just an OAEP ciphertext; the shared private half does not decrypt it.
    refused(
      await call(bob, 'POST', '/v1/crypto/decrypt', {
        keyHandle: privateKey.handle,
        mechanism: 'RSA_PKCS_OAEP',
        hash: 'sha256',
        ciphertext: body<{ wrappedKey: string }>(wrapped).wrappedKey,
      }),
      'KEY_FUNCTION_NOT_PERMITTED',
      'bob decrypting the wrapped key with the private half',
    );
    nothingLeaked({ 'alice’s key': await keyBytes(aliceKey), 'alice’s plaintext': 'alice backup' });
  });

  test('a squatted alias on a key shared with the victim takes the victim’s plaintext', async () => {
    const bait = await gen(bob, { encrypt: true, decrypt: true });
    ok(await call(bob, 'POST', `/v1/keys/${bait.handle}/shares`, { username: 'alice' }), 'bob shares bait');
    ok(await call(bob, 'PUT', '/v1/aliases/alice/payments', { keyHandle: bait.handle }), 'bob squats the name');
    // The name stays Bob's (aliases are cluster-wide) …
    const own = await gen(alice, {});
    refused(
      await call(alice, 'PUT', '/v1/aliases/alice/payments', { keyHandle: own.handle }),
      'ALIAS_EXISTS',
      'alice taking the name back',
    );
    // … but it names his key for him only: Alice's app, configured with the alias, finds no key.
    refused(
      await call(alice, 'POST', '/v1/crypto/encrypt', {
        keyHandle: 'alias/alice/payments',
        mechanism: 'AES_GCM',
        plaintext: b64('card 4111 1111'),
      }),
      'KEY_NOT_FOUND',
      'alice encrypting through another user’s alias',
    );
    // The bait itself, by handle, is still hers to use (it was shared): only the alias is refused.
    await gcmEncrypt(alice, bait, 'by handle');
    nothingLeaked({ 'alice’s plaintext': 'card 4111 1111' });
  });

  test('unwrap imports a key of a chosen value while plaintext import is off (unchanged: shown, not refused)', async () => {
    refused(
      await call(bob, 'POST', '/v1/keys/import', { keyType: 'aes', value: b64(Buffer.alloc(32, 7)) }),
      'IMPORT_NOT_ALLOWED',
      'plaintext import',
    );
    const made = await call(bob, 'POST', '/v1/keys/pairs', {
      keyType: 'rsa',
      modulusBits: 2048,
      privateAttributes: { unwrap: true },
    });
    ok(made, 'pair');
    const { publicKey, privateKey } = body<{ publicKey: Key; privateKey: Key }>(made);
    const pem = body<{ pem: string }>(await call(bob, 'GET', `/v1/keys/${publicKey.handle}/public-key`)).pem;
    const chosen = Buffer.alloc(32, 7);
    const blob = publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, chosen);
    const unwrap = (attributes: Record<string, boolean>) =>
      call(bob, 'POST', '/v1/keys/unwrap', {
        unwrappingKeyHandle: privateKey.handle,
        mechanism: 'RSA_PKCS_OAEP',
        hash: 'sha256',
        wrappedKey: b64(blob),
        class: 'secret',
        keyType: 'aes',
        attributes,
      });
    // A key of a chosen value cannot be a wrapping key (which could then wrap others' keys out) …
    refused(await unwrap({ wrap: true, unwrap: true }), 'ATTRIBUTE_VALUE_INVALID', 'a chosen-value wrapping key');
    // … but as a data key it is made: unwrap is not gated by the import policy (unchanged by the review).
    const data = await unwrap({ encrypt: true, decrypt: true });
    ok(data, 'a chosen-value data key');
    const key = body<{ key: Key }>(data).key;
    assert.deepEqual(await keyBytes(key), chosen, 'the unwrapped key has the value Bob chose');
    const ct = await gcmEncrypt(bob, key, 'own data');
    assert.equal(gcmOffline(chosen, ct), 'own data');
  });

  // F7 (one batch of 500 unknown handles writes 500 audit events) is dropped: it is volume, not a leak.

  test('a trusted, extractable wrapping key is copied by wrap/unwrap into a decrypt key', async () => {
    // A wrapping key is never extractable: the attack's first key is not made.
    for (const attributes of [
      { wrap: true, unwrap: true, extractable: true },
      { wrap: true, extractable: true },
      { unwrap: true, extractable: true },
    ])
      refused(
        await call(alice, 'POST', '/v1/keys/symmetric', { keyType: 'aes', keyLengthBytes: 32, attributes }),
        'TEMPLATE_INCONSISTENT',
        `an extractable wrapping key ${JSON.stringify(attributes)}`,
      );
    // An extractable key, or one that ever was, is not trusted.
    const extractable = await gen(alice, { extractable: true });
    refused(
      await call(admin, 'PATCH', `/v1/keys/${extractable.handle}`, { attributes: { trusted: true } }),
      'TEMPLATE_INCONSISTENT',
      'trusting an extractable key',
    );
    ok(
      await call(alice, 'PATCH', `/v1/keys/${extractable.handle}`, { attributes: { extractable: false } }),
      'extractable off',
    );
    refused(
      await call(admin, 'PATCH', `/v1/keys/${extractable.handle}`, { attributes: { trusted: true } }),
      'TEMPLATE_INCONSISTENT',
      'trusting a key that was extractable',
    );
    refused(
      await call(alice, 'PATCH', `/v1/keys/${extractable.handle}`, { attributes: { wrap: true } }),
      'ATTRIBUTE_READ_ONLY',
      'turning a once-extractable key into a wrapping key',
    );
    // A trusted wrapping key cannot become extractable, so it cannot be wrapped into a data-key copy.
    const trusted = await gen(alice, { wrap: true, unwrap: true });
    ok(await call(admin, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { trusted: true } }), 'admin trusts');
    refused(
      await call(alice, 'PATCH', `/v1/keys/${trusted.handle}`, { attributes: { extractable: true } }),
      'ATTRIBUTE_READ_ONLY',
      'extractable on for the trusted key',
    );
    const carrier = await gen(alice, { wrap: true, unwrap: true });
    refused(
      await call(alice, 'POST', '/v1/keys/wrap', {
        wrappingKeyHandle: carrier.handle,
        keyHandle: trusted.handle,
        mechanism: 'AES_KEY_WRAP_PAD',
      }),
      'KEY_UNEXTRACTABLE',
      'wrapping the trusted key under a carrier',
    );
    // Bob still backs his key up under the trusted key; Alice holds no copy that decrypts it.
    ok(await call(alice, 'POST', `/v1/keys/${trusted.handle}/shares`, { username: 'bob' }), 'share');
    const bobKey = await gen(bob, { extractable: true, wrapWithTrusted: true });
    await gcmEncrypt(bob, bobKey, 'bob again');
    const wrappedBob = await call(bob, 'POST', '/v1/keys/wrap', {
      wrappingKeyHandle: trusted.handle,
      keyHandle: bobKey.handle,
      mechanism: 'AES_GCM',
    });
    ok(wrappedBob, 'bob wraps under the trusted key');
    const blob = Buffer.from(body<{ wrappedKey: string }>(wrappedBob).wrappedKey, 'base64');
    refused(
      await call(alice, 'POST', '/v1/crypto/decrypt', {
        keyHandle: trusted.handle,
        mechanism: 'AES_GCM',
        iv: b64(blob.subarray(0, 12)),
        ciphertext: b64(blob.subarray(12)),
      }),
      'KEY_FUNCTION_NOT_PERMITTED',
      'decrypting bob’s wrapped key with the trusted key',
    );
    nothingLeaked({
      'the trusted key': await keyBytes(trusted),
      'bob’s key': await keyBytes(bobKey),
      'bob’s plaintext': 'bob again',
    });
  });
});
