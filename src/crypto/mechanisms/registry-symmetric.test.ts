import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { cipherMechanism, MECHANISM_NAMES, mechanism, mechanismOfKind, signatureMechanism } from './registry.js';

/** The symmetric mechanisms and the kind each name serves (docs/reference/api.md lists the names). */
const SYMMETRIC = {
  AES_CBC: ['cipher'],
  AES_CBC_PAD: ['cipher'],
  AES_CTR: ['cipher'],
  AES_GCM: ['cipher', 'wrap'],
  AES_CMAC: ['signature'],
  SHA1_HMAC: ['signature'],
  SHA224_HMAC: ['signature'],
  SHA256_HMAC: ['signature'],
  SHA384_HMAC: ['signature'],
  SHA512_HMAC: ['signature'],
  SHA_1: ['digest'],
  SHA224: ['digest'],
  SHA256: ['digest'],
  SHA384: ['digest'],
  SHA512: ['digest'],
  AES_KEY_WRAP: ['wrap'],
  AES_KEY_WRAP_PAD: ['wrap'],
} as const;

describe('mechanism registry: symmetric mechanisms', () => {
  test('every symmetric name is registered once, under each kind it serves', () => {
    for (const [name, kinds] of Object.entries(SYMMETRIC)) {
      assert.equal(MECHANISM_NAMES.filter((known) => known === name).length, 1, name);
      for (const kind of kinds) {
        const found = mechanismOfKind(name, kind);
        assert.equal(found.name, name);
        assert.equal(found.kind, kind);
      }
    }
  });

  test('AES_GCM encrypts as a cipher and wraps as a wrap mechanism', () => {
    assert.equal(cipherMechanism('AES_GCM').kind, 'cipher');
    assert.equal(mechanismOfKind('AES_GCM', 'wrap').kind, 'wrap');
    assert.equal(mechanism('AES_GCM').kind, 'cipher', 'the unqualified lookup keeps its old answer');
  });

  test('AES_ECB is no mechanism the API offers (ECB decrypt would undo AES_KEY_WRAP blobs)', () => {
    assert.ok(!MECHANISM_NAMES.includes('AES_ECB'));
    assert.throws(() => cipherMechanism('AES_ECB'), coffer('MECHANISM_INVALID'));
    assert.throws(() => mechanism('AES_ECB'), coffer('MECHANISM_INVALID'));
  });

  test('the ciphers whose repeated IV turns encrypt into decrypt say the node makes it', () => {
    assert.equal(cipherMechanism('AES_GCM').makesIv, true);
    assert.equal(cipherMechanism('AES_CTR').makesIv, true);
    assert.notEqual(cipherMechanism('AES_CBC').makesIv, true);
  });

  test('a name of another kind is refused with MECHANISM_INVALID', () => {
    assert.throws(() => cipherMechanism('AES_KEY_WRAP'), coffer('MECHANISM_INVALID'));
    assert.throws(() => signatureMechanism('AES_CBC'), coffer('MECHANISM_INVALID'));
    assert.throws(() => mechanismOfKind('SHA256', 'signature'), coffer('MECHANISM_INVALID'));
    assert.throws(() => mechanismOfKind('AES_CMAC', 'wrap'), coffer('MECHANISM_INVALID'));
  });
});
