import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../testing.js';
import { cipherMechanism, MECHANISM_NAMES, mechanism, signatureMechanism } from './registry.js';

describe('mechanism registry', () => {
  test('finds each mechanism by its own name', () => {
    assert.deepEqual([...MECHANISM_NAMES], ['AES_GCM', 'ECDSA_SHA256', 'SHA256_RSA_PKCS_PSS']);
    for (const name of MECHANISM_NAMES) assert.equal(mechanism(name).name, name);
    assert.equal(cipherMechanism('AES_GCM').kind, 'cipher');
    assert.equal(signatureMechanism('ECDSA_SHA256').kind, 'signature');
  });

  test('refuses an unknown name with MECHANISM_INVALID listing the known ones', () => {
    for (const name of ['AES_CBC', 'aes_gcm', 'constructor', 'toString', '']) {
      assert.throws(() => mechanism(name), coffer('MECHANISM_INVALID', 'AES_GCM, ECDSA_SHA256, SHA256_RSA_PKCS_PSS'));
    }
  });

  test('refuses a mechanism of the wrong kind', () => {
    assert.throws(() => cipherMechanism('ECDSA_SHA256'), coffer('MECHANISM_INVALID'));
    assert.throws(() => signatureMechanism('AES_GCM'), coffer('MECHANISM_INVALID'));
  });
});
