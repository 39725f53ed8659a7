import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { withOpenssl } from './support/testing-openssl.js';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
  keyType: string;
  checkValue: string;
  shape: { valueLen?: number };
}

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/** PKCS#11 §"Generic secret key objects": the first 3 bytes of SHA-1 of CKA_VALUE. */
const genericCheckValue = (value: Buffer): string =>
  createHash('sha1').update(value).digest().subarray(0, 3).toString('hex');

/** A P-256 key encoded with explicit curve parameters (no named curve), made by the openssl CLI now. */
function explicitCurveKey(): { spkiPem: string; pkcs8Pem: string } {
  const sec1 = withOpenssl({}, ['ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-noout']);
  const spkiPem = withOpenssl({ 'k.pem': sec1 }, ['ec', '-in', 'k.pem', '-pubout']).toString();
  const pkcs8Pem = withOpenssl({ 'k.pem': sec1 }, ['pkcs8', '-topk8', '-nocrypt', '-in', 'k.pem']).toString();
  return { spkiPem, pkcs8Pem };
}

describe('key types over the API: generic secrets of any length, named curves only', () => {
  let t: TestNode;
  let alice: string;

  const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
    t.api.call<T>('POST', path, { token: alice, body });
  const secret = async (keyType: string, keyLengthBytes: number, attributes: Record<string, boolean>) => {
    const made = await post<{ key: Key }>('/v1/keys/symmetric', { keyType, keyLengthBytes, label: 'k', attributes });
    assert.equal(made.status, 201, `${keyType} ${keyLengthBytes}: ${made.text}`);
    return made.body.key;
  };
  const ecPair = async (curve: string) => {
    const pair = await post<{ publicKey: Key; privateKey: Key }>('/v1/keys/pairs', {
      keyType: 'ec',
      curve,
      label: 'agree',
      privateAttributes: { derive: true, sign: false },
    });
    assert.equal(pair.status, 201, pair.text);
    const pem = (
      await t.api.call<{ pem: string }>('GET', `/v1/keys/${pair.body.publicKey.handle}/public-key`, { token: alice })
    ).body.pem;
    return { privateKey: pair.body.privateKey, spki: createPublicKey(pem).export({ type: 'spki', format: 'der' }) };
  };

  before(async () => {
    t = await startTestNode();
    alice = (await t.cryptoUser('alice')).token;
    const admin = await t.api.login('admin', t.adminPassword);
    const set = await t.api.call('PUT', '/v1/cluster/policy', { token: admin, body: { allowPlaintextImport: true } });
    assert.equal(set.status, 200, set.text);
  });
  after(() => t.stop());

  test('generic secrets of 1, 20, 48, 64 and 800 bytes generate', async () => {
    for (const length of [1, 20, 48, 64, 800]) {
      const key = await secret('generic-secret', length, { sign: true });
      assert.equal(key.shape.valueLen, length);
      assert.match(key.checkValue, /^[0-9a-f]{6}$/);
    }
    assert.equal(
      codeOf(await post('/v1/keys/symmetric', { keyType: 'generic-secret', keyLengthBytes: 801 })),
      'KEY_SIZE_RANGE',
    );
  });

  test('a generic secret’s check value is the first 3 bytes of SHA-1 of its value', async () => {
    for (const length of [5, 16, 32, 100]) {
      const value = randomBytes(length);
      const imported = await post<{ key: Key }>('/v1/keys/import', { keyType: 'generic-secret', value: b64(value) });
      assert.equal(imported.status, 201, imported.text);
      assert.equal(imported.body.key.checkValue, genericCheckValue(value), `${length} bytes`);
    }
  });

  test('HMAC signs and verifies with a 20-byte and a 100-byte key, as node:crypto computes it', async () => {
    for (const length of [20, 100]) {
      const value = randomBytes(length);
      const imported = await post<{ key: Key }>('/v1/keys/import', {
        keyType: 'generic-secret',
        value: b64(value),
        attributes: { sign: true, verify: true },
      });
      assert.equal(imported.status, 201, imported.text);
      const data = randomBytes(77);
      const body = { keyHandle: imported.body.key.handle, mechanism: 'SHA256_HMAC', data: b64(data) };
      const signed = await post<{ signature: string }>('/v1/crypto/sign', body);
      assert.equal(signed.status, 200, signed.text);
      assert.equal(signed.body.signature, createHmac('sha256', value).update(data).digest('base64'));
      const verified = await post('/v1/crypto/verify', { ...body, signature: signed.body.signature });
      assert.equal(verified.status, 200, verified.text);
    }
  });

  test('HKDF and SP 800-108 derive generic secrets of 20 and 64 bytes', async () => {
    const base = await secret('generic-secret', 32, { derive: true });
    const cases = [
      ['HKDF_DERIVE', { salt: b64(Buffer.from('salt')), info: b64(Buffer.from('info')) }],
      ['SP800_108_COUNTER_KDF', { label: b64(Buffer.from('label')), context: b64(Buffer.from('context')) }],
    ] as const;
    for (const [mechanism, params] of cases) {
      for (const keyLengthBytes of [20, 64]) {
        const derived = await post<{ key: Key }>('/v1/keys/derive', {
          baseKeyHandle: base.handle,
          mechanism,
          keyType: 'generic-secret',
          keyLengthBytes,
          label: 'derived',
          ...params,
        });
        assert.equal(derived.status, 201, `${mechanism} ${keyLengthBytes}: ${derived.text}`);
        assert.equal(derived.body.key.shape.valueLen, keyLengthBytes);
      }
    }
  });

  test('AES_KEY_WRAP_PAD and RSA_AES_KEY_WRAP wrap and unwrap a 5-byte generic secret', async () => {
    const value = randomBytes(5);
    const small = await post<{ key: Key }>('/v1/keys/import', {
      keyType: 'generic-secret',
      value: b64(value),
      attributes: { extractable: true },
    });
    assert.equal(small.status, 201, small.text);
    const aes = await secret('aes', 32, { wrap: true, unwrap: true });
    const rsa = (
      await post<{ publicKey: Key; privateKey: Key }>('/v1/keys/pairs', {
        keyType: 'rsa',
        modulusBits: 2048,
        publicAttributes: { wrap: true },
        privateAttributes: { unwrap: true },
      })
    ).body;
    const cases = [
      ['AES_KEY_WRAP_PAD', aes.handle, aes.handle, {}],
      ['RSA_AES_KEY_WRAP', rsa.publicKey.handle, rsa.privateKey.handle, { hash: 'sha256' }],
    ] as const;
    for (const [mechanism, wrapWith, unwrapWith, params] of cases) {
      const wrapped = await post<{ wrappedKey: string }>('/v1/keys/wrap', {
        wrappingKeyHandle: wrapWith,
        keyHandle: small.body.key.handle,
        mechanism,
        ...params,
      });
      assert.equal(wrapped.status, 200, `${mechanism}: ${wrapped.text}`);
      const unwrapped = await post<{ key: Key }>('/v1/keys/unwrap', {
        unwrappingKeyHandle: unwrapWith,
        mechanism,
        wrappedKey: wrapped.body.wrappedKey,
        class: 'secret',
        keyType: 'generic-secret',
        label: 'unwrapped',
        ...params,
      });
      assert.equal(unwrapped.status, 201, `${mechanism}: ${unwrapped.text}`);
      assert.equal(unwrapped.body.key.checkValue, genericCheckValue(value));
      assert.equal(unwrapped.body.key.shape.valueLen, 5);
    }
  });

  test('ECDH derives 48-byte (P-384) and 66-byte (P-521) raw shared secrets', async () => {
    for (const [curve, length] of [
      ['secp384r1', 48],
      ['secp521r1', 66],
    ] as const) {
      const ours = await ecPair(curve);
      const theirs = await ecPair(curve);
      const derive = (base: Key, peer: Buffer) =>
        post<{ key: Key }>('/v1/keys/derive', {
          baseKeyHandle: base.handle,
          mechanism: 'ECDH1_DERIVE',
          keyType: 'generic-secret',
          keyLengthBytes: length,
          publicKey: b64(peer),
          kdf: 'null',
        });
      const one = await derive(ours.privateKey, theirs.spki);
      const two = await derive(theirs.privateKey, ours.spki);
      assert.equal(one.status, 201, `${curve}: ${one.text}`);
      assert.equal(one.body.key.shape.valueLen, length);
      assert.equal(one.body.key.checkValue, two.body.key.checkValue);
    }
  });

  test('a public or private EC key with explicit curve parameters is refused at import', async () => {
    const { spkiPem, pkcs8Pem } = explicitCurveKey();
    const before = (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys.length;
    assert.equal(codeOf(await post('/v1/keys/import', { pem: spkiPem })), 'ATTRIBUTE_VALUE_INVALID');
    const der = createPublicKey(spkiPem).export({ type: 'spki', format: 'der' });
    assert.equal(codeOf(await post('/v1/keys/import', { der: b64(der) })), 'ATTRIBUTE_VALUE_INVALID');
    assert.equal(codeOf(await post('/v1/keys/import', { pem: pkcs8Pem })), 'ATTRIBUTE_VALUE_INVALID');
    const after = (await t.api.call<{ keys: Key[] }>('GET', '/v1/keys?limit=1000', { token: alice })).body.keys.length;
    assert.equal(after, before);
  });

  test('ECDH refuses a peer public key with explicit curve parameters', async () => {
    const ours = await ecPair('secp256r1');
    const { spkiPem } = explicitCurveKey();
    const peer = createPublicKey(spkiPem).export({ type: 'spki', format: 'der' });
    const refused = await post('/v1/keys/derive', {
      baseKeyHandle: ours.privateKey.handle,
      mechanism: 'ECDH1_DERIVE',
      keyType: 'aes',
      keyLengthBytes: 32,
      publicKey: b64(peer),
      kdf: 'null',
    });
    assert.equal(codeOf(refused), 'MECHANISM_PARAM_INVALID', refused.text);
  });
});

describe('request logs over the API', () => {
  let t: TestNode;

  before(async () => {
    t = await startTestNode();
  });
  after(() => t.stop());

  test('a refused request’s URL is logged with its label and id query values blinded', async () => {
    const { token } = await t.cryptoUser('carol');
    const label = `payroll-${randomBytes(6).toString('hex')}`;
    const id = randomBytes(6).toString('hex');
    const query = `label=${encodeURIComponent(label)}&id=${id}&class=secret`;
    const refused = await t.api.call('GET', `/v1/keys?${query}&limit=99999`, { token });
    assert.equal(refused.status, 400, refused.text);
    const unauthenticated = await t.api.call('GET', `/v1/keys?${query}`, {});
    assert.equal(unauthenticated.status, 401, unauthenticated.text);
    const missing = await t.api.call('GET', `/v1/no-such-route?${query}`, { token });
    assert.equal(missing.status, 404, missing.text);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = t.logs.filter((line) => line.includes('/v1/keys?'));
    assert.ok(
      lines.some((line) => line.includes('request refused')),
      'the refusals are logged',
    );
    assert.ok(
      lines.some((line) => line.includes('class=secret')),
      'structural query values stay readable',
    );
    for (const line of t.logs) {
      assert.ok(!line.includes(label) && !line.includes(encodeURIComponent(label)), `label leaked: ${line}`);
      assert.ok(!line.includes(id), `id leaked: ${line}`);
    }
  });
});
