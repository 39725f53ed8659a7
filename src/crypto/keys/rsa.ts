import { constants, generateKeyPair, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { GeneratedKeyPair, KeyShape, KeySpec } from '../types.js';
import { sha1OfPublicKeyInfo } from './check-value-sources.js';
import { PAIR_ENCODINGS } from './key-encodings.js';
import { requiredField, type KeyTypeEntry } from './key-type.js';
import { checkedPair } from './pairwise.js';
import { specFor } from './spec.js';

/** Modulus sizes Coffer generates and accepts, in bits. */
export const RSA_MODULUS_BITS = { min: 2048, max: 4096, step: 256 } as const;

/** Public exponents: F4 by default; other odd values from F4 up to 32 bits. */
export const RSA_PUBLIC_EXPONENT = { default: 65537, min: 65537, max: 0xffff_ffff } as const;

/** The PSS options of the pairwise consistency test. */
const PAIRWISE_PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

function checkModulus(bits: number): void {
  const { min, max, step } = RSA_MODULUS_BITS;
  if (!Number.isInteger(bits) || bits < min || bits > max || bits % step !== 0) {
    throw new CofferError('KEY_SIZE_RANGE', `RSA modulus is ${min} to ${max} bits in steps of ${step}`);
  }
}

function checkExponent(exponent: number): void {
  const { min, max } = RSA_PUBLIC_EXPONENT;
  if (!Number.isInteger(exponent) || exponent < min || exponent > max || exponent % 2 === 0) {
    throw new CofferError('KEY_SIZE_RANGE', `RSA public exponent is odd, from ${min} to ${max}`);
  }
}

function checkSpec(spec: KeySpec): void {
  const rsa = specFor(spec, 'rsa');
  checkModulus(rsa.modulusBits);
  checkExponent(rsa.publicExponent ?? RSA_PUBLIC_EXPONENT.default);
}

/** Size attributes of an RSA key (public or private), checked against the rules above. */
function shape(key: KeyObject): KeyShape {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'rsa') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'not an RSA key');
  }
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const publicExponent = Number(key.asymmetricKeyDetails?.publicExponent ?? 0n);
  checkModulus(modulusBits);
  checkExponent(publicExponent);
  return { modulusBits, publicExponent };
}

/** The callback form of generateKeyPair runs on the libuv pool: RSA-4096 takes seconds. */
function generateOnPool(modulusLength: number, publicExponent: number): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength, publicExponent }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

/** Where raw pairs come from: the pool, or in a test a faulty source. */
export type RsaPairSource = (modulusBits: number, publicExponent: number) => Promise<GeneratedKeyPair>;

/** A fresh pair for a valid spec, after its pairwise consistency test. */
export async function generateRsaKeyPair(
  spec: KeySpec,
  source: RsaPairSource = generateOnPool,
): Promise<GeneratedKeyPair> {
  checkSpec(spec);
  const rsa = specFor(spec, 'rsa');
  const pair = await source(rsa.modulusBits, rsa.publicExponent ?? RSA_PUBLIC_EXPONENT.default);
  return checkedPair(pair, PAIRWISE_PSS);
}

export const rsaKeys: KeyTypeEntry<'rsa'> = {
  keyType: 'rsa',
  checkSpec,
  checkKey: (key) => void shape(key),
  generatePair: (spec) => generateRsaKeyPair(spec),
  shape,
  encodings: PAIR_ENCODINGS,
  generationMechanism: 'RSA_PKCS_KEY_PAIR_GEN',
  opensslTypes: ['rsa'],
  specFromRequest: (fields) => ({
    keyType: 'rsa',
    modulusBits: requiredField(fields, 'modulusBits'),
    ...(fields.publicExponent === undefined ? {} : { publicExponent: fields.publicExponent }),
  }),
  specFromShape: (stored) => ({
    keyType: 'rsa',
    modulusBits: stored.modulusBits ?? 0,
    ...(stored.publicExponent && { publicExponent: stored.publicExponent }),
  }),
  checkValueSource: sha1OfPublicKeyInfo,
};
