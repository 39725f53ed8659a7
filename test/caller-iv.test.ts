import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { codeOf, type ApiAnswer } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * The node makes AES-GCM IVs and AES-CTR counter blocks on encrypt (src/keys/caller-iv-rule.ts):
 * a caller's IV would let a user who may only encrypt decrypt another user's ciphertext by
 * encrypting zeros under its IV. Through the real API over TLS: single, batch and multi-part.
 */
interface Key {
  handle: string;
}
interface AuditEvent {
  actor: string;
  action: string;
  target: string;
  result: string;
  code?: string;
}
const b64 = (bytes: Buffer): string => bytes.toString('base64');
const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, index) => byte ^ b[index]!));

describe('caller IVs on encrypt (AES_GCM, AES_CTR)', () => {
  let t: TestNode;
  let admin: string;
  let alice: string;
  let mallory: string;
  /** Alice's write-only key: encrypt, not decrypt, shared with mallory. */
  let sealOnly: Key;
  /** Alice's data key: encrypt and decrypt. */
  let data: Key;

  const as = <T = Record<string, string>>(token: string, method: string, path: string, body?: unknown) =>
    t.api.call<T>(method, path, { token, body });
  const setPolicy = async (allowCallerIv: boolean): Promise<void> => {
    const set = await as<{ policy: { allowCallerIv: boolean } }>(admin, 'PUT', '/v1/cluster/policy', {
      allowCallerIv,
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.policy.allowCallerIv, allowCallerIv);
  };
  const encrypt = (token: string, key: Key, mechanism: string, plaintext: Buffer, extra: object = {}) =>
    as<{ ciphertext: string; iv: string }>(token, 'POST', '/v1/crypto/encrypt', {
      keyHandle: key.handle,
      mechanism,
      plaintext: b64(plaintext),
      ...extra,
    });
  const multipartBegin = (token: string, key: Key, mechanism: string, extra: object = {}) =>
    as<{ operationId: string; iv: string }>(token, 'POST', '/v1/crypto/operations', {
      operation: 'encrypt',
      keyHandle: key.handle,
      mechanism,
      ...extra,
    });
  const batchEncrypt = async (token: string, key: Key, mechanism: string, extra: object = {}) => {
    const answer = await as<{ results: { status: number; error?: { code: string } }[] }>(token, 'POST', '/v1/batch', {
      operations: [
        { operation: 'encrypt', keyHandle: key.handle, mechanism, plaintext: b64(randomBytes(16)), ...extra },
      ],
    });
    assert.equal(answer.status, 200, answer.text);
    return answer.body.results[0]!;
  };
  const refusalsAudited = async (actor: string): Promise<AuditEvent[]> => {
    const page = await as<{ events: AuditEvent[] }>(admin, 'GET', '/v1/audit/events?limit=1000');
    return page.body.events.filter((event) => event.actor === actor && event.code === 'IV_NOT_ALLOWED');
  };

  before(async () => {
    t = await startTestNode();
    admin = await t.api.login('admin', t.adminPassword);
    alice = (await t.cryptoUser('alice')).token;
    mallory = (await t.cryptoUser('mallory')).token;
    const make = async (attributes: Record<string, boolean>): Promise<Key> => {
      const made = await as<{ key: Key }>(alice, 'POST', '/v1/keys/symmetric', {
        keyType: 'aes',
        keyLengthBytes: 32,
        attributes,
      });
      assert.equal(made.status, 201, made.text);
      return made.body.key;
    };
    sealOnly = await make({ encrypt: true, decrypt: false });
    data = await make({ encrypt: true, decrypt: true });
    const shared = await as(alice, 'POST', `/v1/keys/${sealOnly.handle}/shares`, { username: 'mallory' });
    assert.equal(shared.status, 200, shared.text);
  });
  after(() => t.stop());

  test('the policy defaults to no caller IVs and only an admin changes it', async () => {
    const read = await as<{ policy: { allowCallerIv: boolean } }>(alice, 'GET', '/v1/cluster/policy');
    assert.equal(read.body.policy.allowCallerIv, false);
    assert.equal(codeOf(await as(alice, 'PUT', '/v1/cluster/policy', { allowCallerIv: true })), 'PERMISSION_DENIED');
  });

  test('the attack: encrypting zeros under a victim IV with an encrypt-only key is refused', async () => {
    const secret = Buffer.from('the victim plaintext, 32 bytes!!');
    const victim = await encrypt(alice, sealOnly, 'AES_GCM', secret);
    assert.equal(victim.status, 200, victim.text);
    for (const allowCallerIv of [false, true]) {
      await setPolicy(allowCallerIv);
      const zeros = await encrypt(mallory, sealOnly, 'AES_GCM', Buffer.alloc(secret.length), { iv: victim.body.iv });
      assert.equal(codeOf(zeros), 'IV_NOT_ALLOWED', zeros.text);
      assert.equal(zeros.status, 403);
      // Were it answered, keystream XOR the victim's ciphertext would give the plaintext back.
      assert.equal((zeros.body as { ciphertext?: string }).ciphertext, undefined);
    }
    await setPolicy(false);
    // CTR the same way: the counter block is the IV.
    const ctrVictim = await encrypt(alice, sealOnly, 'AES_CTR', secret);
    assert.equal(ctrVictim.status, 200, ctrVictim.text);
    const ctrZeros = await encrypt(mallory, sealOnly, 'AES_CTR', Buffer.alloc(secret.length), {
      iv: ctrVictim.body.iv,
    });
    assert.equal(codeOf(ctrZeros), 'IV_NOT_ALLOWED');
    const events = await refusalsAudited('mallory');
    assert.ok(events.length >= 3, 'each refusal is audited');
    assert.ok(events.every((event) => event.action === 'crypto.encrypt' && event.result === 'failure'));
    assert.ok(events.every((event) => event.target === `key/${sealOnly.handle}`));
  });

  test('AES_GCM: the node makes a fresh 12-byte IV on every encrypt, and decrypt takes it', async () => {
    const plaintext = randomBytes(40);
    const ivs = new Set<string>();
    const answers = await Promise.all(Array.from({ length: 60 }, () => encrypt(alice, data, 'AES_GCM', plaintext)));
    for (const answer of answers) {
      assert.equal(answer.status, 200, answer.text);
      assert.equal(Buffer.from(answer.body.iv, 'base64').length, 12);
      ivs.add(answer.body.iv);
    }
    const batch = await as<{ results: { body: { iv: string } }[] }>(alice, 'POST', '/v1/batch', {
      operations: Array.from({ length: 60 }, () => ({
        operation: 'encrypt',
        keyHandle: data.handle,
        mechanism: 'AES_GCM',
        plaintext: b64(plaintext),
      })),
    });
    for (const result of batch.body.results) ivs.add(result.body.iv);
    assert.equal(ivs.size, 120, 'no IV repeats');
    const first = answers[0]!.body;
    const decrypted = await as<{ plaintext: string }>(alice, 'POST', '/v1/crypto/decrypt', {
      keyHandle: data.handle,
      mechanism: 'AES_GCM',
      ciphertext: first.ciphertext,
      iv: first.iv,
    });
    assert.equal(decrypted.body.plaintext, b64(plaintext), decrypted.text);
  });

  test('AES_CTR: the node makes a fresh 16-byte counter block on every encrypt, and decrypt takes it', async () => {
    const plaintext = randomBytes(100);
    const answers = await Promise.all(Array.from({ length: 60 }, () => encrypt(alice, data, 'AES_CTR', plaintext)));
    const ivs = new Set(answers.map((answer) => answer.body.iv));
    assert.equal(ivs.size, 60, 'no counter block repeats');
    for (const answer of answers) assert.equal(Buffer.from(answer.body.iv, 'base64').length, 16, answer.text);
    // Keystreams differ: the XOR of two ciphertexts of one plaintext is not zero.
    const [one, two] = answers.map((answer) => Buffer.from(answer.body.ciphertext, 'base64'));
    assert.ok(xor(one!, two!).some((byte) => byte !== 0));
    const decrypted = await as<{ plaintext: string }>(alice, 'POST', '/v1/crypto/decrypt', {
      keyHandle: data.handle,
      mechanism: 'AES_CTR',
      ciphertext: answers[0]!.body.ciphertext,
      iv: answers[0]!.body.iv,
    });
    assert.equal(decrypted.body.plaintext, b64(plaintext), decrypted.text);
    const multipart = await multipartBegin(alice, data, 'AES_CTR');
    assert.equal(multipart.status, 201, multipart.text);
    assert.equal(Buffer.from(multipart.body.iv, 'base64').length, 16);
    await as(alice, 'DELETE', `/v1/crypto/operations/${multipart.body.operationId}`);
  });

  test('policy off: a caller IV is refused on single, batch and multi-part encrypt, even with decrypt', async () => {
    await setPolicy(false);
    const before = (await refusalsAudited('alice')).length;
    const cases: [string, Buffer][] = [
      ['AES_GCM', randomBytes(12)],
      ['AES_CTR', randomBytes(16)],
    ];
    for (const [mechanism, iv] of cases) {
      const extra = { iv: b64(iv) };
      assert.equal(codeOf(await encrypt(alice, data, mechanism, randomBytes(16), extra)), 'IV_NOT_ALLOWED', mechanism);
      const batched = await batchEncrypt(alice, data, mechanism, extra);
      assert.equal(batched.error?.code, 'IV_NOT_ALLOWED', mechanism);
      assert.equal(batched.status, 403);
      assert.equal(codeOf(await multipartBegin(alice, data, mechanism, extra)), 'IV_NOT_ALLOWED', mechanism);
    }
    assert.equal((await refusalsAudited('alice')).length - before, 6, 'every refusal is audited');
    // AES_CBC takes the caller's IV as before: it is not a mode where a repeated IV decrypts.
    assert.equal((await encrypt(alice, data, 'AES_CBC_PAD', randomBytes(5), { iv: b64(randomBytes(16)) })).status, 200);
  });

  test('policy on: a caller IV is accepted for a key that also decrypts, refused for one that does not', async () => {
    await setPolicy(true);
    try {
      for (const [mechanism, ivBytes] of [
        ['AES_GCM', 12],
        ['AES_CTR', 16],
      ] as const) {
        const iv = randomBytes(ivBytes);
        const plaintext = randomBytes(33);
        const single = await encrypt(alice, data, mechanism, plaintext, { iv: b64(iv) });
        assert.equal(single.status, 200, single.text);
        assert.equal(single.body.iv, b64(iv), 'the caller IV is the one used');
        const decrypted = await as<{ plaintext: string }>(alice, 'POST', '/v1/crypto/decrypt', {
          keyHandle: data.handle,
          mechanism,
          ciphertext: single.body.ciphertext,
          iv: b64(iv),
        });
        assert.equal(decrypted.body.plaintext, b64(plaintext));
        assert.equal((await batchEncrypt(alice, data, mechanism, { iv: b64(iv) })).status, 200);
        const begun = await multipartBegin(alice, data, mechanism, { iv: b64(iv) });
        assert.equal(begun.status, 201, begun.text);
        assert.equal(begun.body.iv, b64(iv));
        await as(alice, 'DELETE', `/v1/crypto/operations/${begun.body.operationId}`);

        const refused: ApiAnswer<unknown>[] = [
          await encrypt(alice, sealOnly, mechanism, plaintext, { iv: b64(iv) }),
          await multipartBegin(mallory, sealOnly, mechanism, { iv: b64(iv) }),
        ];
        for (const answer of refused) assert.equal(codeOf(answer), 'IV_NOT_ALLOWED', mechanism);
        const batched = await batchEncrypt(mallory, sealOnly, mechanism, { iv: b64(iv) });
        assert.equal(batched.error?.code, 'IV_NOT_ALLOWED');
      }
    } finally {
      await setPolicy(false);
    }
  });

  test('AES_GCM key wrap never takes a caller IV: the node makes it', async () => {
    const kek = await as<{ key: Key }>(alice, 'POST', '/v1/keys/symmetric', {
      keyType: 'aes',
      keyLengthBytes: 32,
      attributes: { wrap: true, unwrap: true },
    });
    const payload = await as<{ key: Key }>(alice, 'POST', '/v1/keys/symmetric', {
      keyType: 'aes',
      keyLengthBytes: 16,
      attributes: { extractable: true },
    });
    await setPolicy(true);
    try {
      const body = { wrappingKeyHandle: kek.body.key.handle, keyHandle: payload.body.key.handle, mechanism: 'AES_GCM' };
      const refused = await as(alice, 'POST', '/v1/keys/wrap', { ...body, iv: b64(randomBytes(12)) });
      assert.equal(codeOf(refused), 'MECHANISM_PARAM_INVALID', refused.text);
      const wrapped = await Promise.all(
        [0, 1].map(() => as<{ wrappedKey: string }>(alice, 'POST', '/v1/keys/wrap', body)),
      );
      assert.equal(wrapped[0]!.status, 200, wrapped[0]!.text);
      const ivOf = (answer: ApiAnswer<{ wrappedKey: string }>) =>
        Buffer.from(answer.body.wrappedKey, 'base64').subarray(0, 12);
      assert.notDeepEqual(ivOf(wrapped[0]!), ivOf(wrapped[1]!));
    } finally {
      await setPolicy(false);
    }
  });
});
