import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { coffer } from '../../../test/support/errors.js';
import { withOpenssl } from '../../../test/support/testing-openssl.js';
import { hasNamedCurve, requireNamedCurve } from './ec-named-curve.js';
import { keyTypeProvider } from './registry.js';

/** A P-256 key with explicit parameters, made now by the openssl CLI: OpenSSL still calls it prime256v1. */
function explicitPair() {
  const sec1 = withOpenssl({}, ['ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-noout']);
  return { privateKey: createPrivateKey(sec1), publicKey: createPublicKey(sec1) };
}

describe('EC keys name their curve', () => {
  test('keys generated on named curves pass, both halves, on every supported curve', () => {
    for (const namedCurve of ['prime256v1', 'secp384r1', 'secp521r1', 'secp256k1']) {
      const pair = generateKeyPairSync('ec', { namedCurve });
      assert.equal(hasNamedCurve(pair.publicKey), true, namedCurve);
      assert.equal(hasNamedCurve(pair.privateKey), true, namedCurve);
    }
  });

  test('explicit parameters are refused though OpenSSL matches them to prime256v1', () => {
    const explicit = explicitPair();
    assert.equal(explicit.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(hasNamedCurve(explicit.publicKey), false);
    assert.equal(hasNamedCurve(explicit.privateKey), false);
    assert.throws(
      () => requireNamedCurve(explicit.publicKey, 'MECHANISM_PARAM_INVALID'),
      coffer('MECHANISM_PARAM_INVALID'),
    );
    const ec = keyTypeProvider('ec');
    assert.throws(() => ec.checkKey(explicit.publicKey), coffer('ATTRIBUTE_VALUE_INVALID'));
    assert.throws(() => ec.checkKey(explicit.privateKey), coffer('ATTRIBUTE_VALUE_INVALID'));
    assert.throws(() => ec.shape(explicit.publicKey), coffer('ATTRIBUTE_VALUE_INVALID'));
  });

  test('keys that are not EC keys do not name an EC curve', () => {
    assert.equal(hasNamedCurve(createSecretKey(randomBytes(32))), false);
    assert.equal(hasNamedCurve(generateKeyPairSync('ed25519').publicKey), false);
  });
});
