import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import {
  allMechanisms,
  cipherMechanism,
  MECHANISM_NAMES,
  mechanism,
  mechanismOfKind,
  signatureMechanism,
} from './registry.js';

/** Every mechanism the node must offer, by kind, written out independently of the registry. */
const HASHES = ['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'];
const EXPECTED: Record<string, readonly string[]> = {
  cipher: ['AES_GCM', 'AES_CBC', 'AES_CBC_PAD', 'AES_CTR', 'RSA_PKCS', 'RSA_PKCS_OAEP'],
  signature: [
    'AES_CMAC',
    ...HASHES.map((hash) => `${hash}_HMAC`),
    ...HASHES.map((hash) => `${hash}_RSA_PKCS`),
    ...HASHES.map((hash) => `${hash}_RSA_PKCS_PSS`),
    'RSA_PKCS',
    'RSA_PKCS_PSS',
    'ECDSA',
    ...HASHES.map((hash) => `ECDSA_${hash}`),
    'EDDSA',
  ],
  digest: ['SHA_1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'],
  wrap: ['AES_KEY_WRAP', 'AES_KEY_WRAP_PAD', 'AES_GCM', 'RSA_PKCS_OAEP', 'RSA_AES_KEY_WRAP'],
  derive: ['ECDH1_DERIVE', 'HKDF_DERIVE', 'SP800_108_COUNTER_KDF'],
};

describe('mechanism registry', () => {
  test('holds exactly the expected mechanisms, each under its own name and kind', () => {
    const registered = allMechanisms()
      .map((entry) => `${entry.kind}:${entry.name}`)
      .sort();
    const expected = Object.entries(EXPECTED)
      .flatMap(([kind, names]) => names.map((name) => `${kind}:${name}`))
      .sort();
    assert.deepEqual(registered, expected);
    for (const [kind, names] of Object.entries(EXPECTED)) {
      for (const name of names) assert.equal(mechanismOfKind(name, kind as 'cipher').name, name);
    }
    for (const name of MECHANISM_NAMES) assert.equal(mechanism(name).name, name);
  });

  test('refuses an unknown name with MECHANISM_INVALID listing the known ones', () => {
    for (const name of ['AES_XTS', 'aes_gcm', 'constructor', 'toString', '']) {
      assert.throws(() => mechanism(name), coffer('MECHANISM_INVALID', 'AES_GCM'));
    }
  });

  test('refuses a mechanism of the wrong kind', () => {
    assert.throws(() => cipherMechanism('ECDSA_SHA256'), coffer('MECHANISM_INVALID'));
    assert.throws(() => signatureMechanism('AES_GCM'), coffer('MECHANISM_INVALID'));
    assert.throws(() => mechanismOfKind('SHA256', 'cipher'), coffer('MECHANISM_INVALID'));
  });
});
