import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ACCESS_KEY_ID, base64Bytes, newCredential } from './sigv4-credential.js';

test('a credential has the shapes AWS KMS accepts (spec, Appendix A and the console file)', () => {
  const seen = new Set<string>();
  for (let index = 0; index < 50; index++) {
    const { accessKeyId, secret } = newCredential();
    assert.match(accessKeyId, ACCESS_KEY_ID);
    assert.equal(accessKeyId.length, 24);
    const text = secret.toString('ascii');
    assert.match(text, /^[A-Za-z0-9+/=]{43,64}$/);
    assert.equal(Buffer.from(text, 'base64').length, 32, '256 bits of entropy');
    assert.ok(!seen.has(accessKeyId) && !seen.has(text));
    seen.add(accessKeyId).add(text);
  }
});

test('base64 into a Buffer agrees with Node’s for every length and remainder', () => {
  for (let length = 0; length < 70; length++) {
    const bytes = randomBytes(length);
    assert.equal(base64Bytes(bytes).toString('ascii'), bytes.toString('base64'), `length ${length}`);
  }
});
