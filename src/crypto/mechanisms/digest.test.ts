import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_DATA_BYTES } from '../limits.js';
import { SHA1_ABC, SHA256_ABC } from '../self-test/digest.js';
import { SHA224_ABC, SHA384_ABC, SHA512_ABC } from '../self-test/sha2.js';
import { ODD_CHUNKINGS, runChunked } from '../../../test/support/stream-testing.js';
import { coffer } from '../../../test/support/errors.js';
import { DIGEST_MECHANISMS, sha1Digest, sha224Digest, sha256Digest, sha384Digest, sha512Digest } from './digest.js';

/** FIPS 180-4 examples ("abc", and the two-block message), and NIST CAVP SHA256ShortMsg Len = 0. */
const VECTORS = [
  { mechanism: sha1Digest, message: SHA1_ABC.message, digest: SHA1_ABC.digest },
  { mechanism: sha224Digest, message: SHA224_ABC.message, digest: SHA224_ABC.digest },
  { mechanism: sha256Digest, message: SHA256_ABC.message, digest: SHA256_ABC.digest },
  { mechanism: sha384Digest, message: SHA384_ABC.message, digest: SHA384_ABC.digest },
  { mechanism: sha512Digest, message: SHA512_ABC.message, digest: SHA512_ABC.digest },
  { mechanism: sha256Digest, message: '', digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  {
    // FIPS 180-4 examples: the two-block message "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".
    mechanism: sha256Digest,
    message: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    digest: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
];

describe('digest mechanisms', () => {
  test('are named as PKCS#11 and take no key', () => {
    assert.deepEqual(
      DIGEST_MECHANISMS.map((m) => m.name),
      ['SHA_1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'],
    );
    for (const mechanism of DIGEST_MECHANISMS) assert.deepEqual(mechanism.keyTypes, []);
  });

  test('match FIPS 180-4 examples, single-part and in every chunking', async () => {
    for (const v of VECTORS) {
      const message = Buffer.from(v.message, 'utf8');
      assert.equal((await v.mechanism.digest(message)).toString('hex'), v.digest, v.mechanism.name);
      for (const sizes of ODD_CHUNKINGS) {
        assert.equal(runChunked(v.mechanism.begin(), message, sizes).toString('hex'), v.digest);
      }
    }
  });

  test('multi-part equals single-part across block boundaries; updates output nothing', async () => {
    for (const mechanism of DIGEST_MECHANISMS) {
      const data = randomBytes(1000);
      const digest = await mechanism.digest(data);
      const stream = mechanism.begin();
      assert.equal(stream.update(data).length, 0);
      assert.deepEqual(stream.final(), digest);
      for (const sizes of ODD_CHUNKINGS) assert.deepEqual(runChunked(mechanism.begin(), data, sizes), digest);
    }
  });

  test('refuse over-limit input and use after final', async () => {
    await assert.rejects(sha256Digest.digest(Buffer.alloc(MAX_DATA_BYTES + 1)), coffer('DATA_LEN_RANGE'));
    const stream = sha256Digest.begin();
    assert.throws(() => stream.update(Buffer.alloc(MAX_DATA_BYTES + 1)), coffer('DATA_LEN_RANGE'));
    stream.final();
    assert.throws(() => stream.update(Buffer.alloc(1)), coffer('INTERNAL_ERROR'));
  });
});
