import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { KeySpec } from '../types.js';
import { coffer } from '../../../test/support/errors.js';
import { generateRsaKeyPair, rsaKeys } from './rsa.js';

const rsa = (modulusBits: number, publicExponent?: number): KeySpec => ({
  keyType: 'rsa',
  modulusBits,
  publicExponent,
});

describe('RSA key type', () => {
  test('accepts 2048 to 4096 bits in 256-bit steps and odd exponents from 65537 to 2^32-1', () => {
    for (const bits of [2048, 2304, 3072, 3840, 4096]) rsaKeys.checkSpec(rsa(bits));
    for (const e of [65537, 65539, 0xffff_ffff]) rsaKeys.checkSpec(rsa(2048, e));
  });

  test('refuses other moduli and exponents with KEY_SIZE_RANGE', () => {
    const bad: readonly KeySpec[] = [
      rsa(1024),
      rsa(2047),
      rsa(2049),
      rsa(2100),
      rsa(4352),
      rsa(8192),
      rsa(2048.5),
      rsa(2048, 3),
      rsa(2048, 65536),
      rsa(2048, 65538),
      rsa(2048, 2 ** 32 + 1),
      rsa(2048, 65537.5),
    ];
    for (const spec of bad) assert.throws(() => rsaKeys.checkSpec(spec), coffer('KEY_SIZE_RANGE'));
  });

  test('generates a 2048-bit pair with e = 65537 by default, and one with another exponent', async () => {
    const pair = await rsaKeys.generatePair!(rsa(2048));
    assert.deepEqual(rsaKeys.shape(pair.privateKey), { modulusBits: 2048, publicExponent: 65537 });
    assert.deepEqual(rsaKeys.shape(pair.publicKey), { modulusBits: 2048, publicExponent: 65537 });
    const other = await rsaKeys.generatePair!(rsa(2048, 65539));
    assert.equal(rsaKeys.shape(other.publicKey).publicExponent, 65539);
  });

  test('generation refuses a bad spec before any work', async () => {
    await assert.rejects(rsaKeys.generatePair!(rsa(1024)), coffer('KEY_SIZE_RANGE'));
  });

  test('checkKey refuses an imported RSA-1024 key and an EC key', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => rsaKeys.checkKey(small.publicKey), coffer('KEY_SIZE_RANGE'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(() => rsaKeys.checkKey(ec.privateKey), coffer('KEY_TYPE_INCONSISTENT'));
  });

  test('a generated pair that fails the pairwise consistency test is refused', async () => {
    const a = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const b = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const faulty = async () => ({ privateKey: a.privateKey, publicKey: b.publicKey });
    await assert.rejects(generateRsaKeyPair(rsa(2048), faulty), coffer('SELF_TEST_FAILED'));
  });
});
