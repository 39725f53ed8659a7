import { generateKeyPair, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { GeneratedKeyPair, KeyShape, KeySpec } from '../types.js';
import { sha1OfPublicKeyInfo } from './check-value-sources.js';
import { requireNamedCurve } from './ec-named-curve.js';
import { PAIR_ENCODINGS } from './key-encodings.js';
import { requiredField, type KeyTypeEntry } from './key-type.js';
import { checkedPair } from './pairwise.js';
import { specFor } from './spec.js';

/** Supported curves: Coffer's name (as CloudHSM and SEC 2 name them) → OpenSSL's name. */
export const EC_CURVES = {
  secp256r1: 'prime256v1',
  secp384r1: 'secp384r1',
  secp521r1: 'secp521r1',
  secp256k1: 'secp256k1',
} as const satisfies Record<string, string>;

export type EcCurve = keyof typeof EC_CURVES;
export const EC_CURVE_NAMES = Object.keys(EC_CURVES) as readonly EcCurve[];

function isEcCurve(name: string): name is EcCurve {
  return Object.prototype.hasOwnProperty.call(EC_CURVES, name);
}

function curveError(): CofferError {
  return new CofferError('MECHANISM_INVALID', `supported EC curves are ${EC_CURVE_NAMES.join(', ')}`);
}

/** The curve a spec asks for, once it is known to be supported. */
function specCurve(spec: KeySpec): EcCurve {
  const { curve } = specFor(spec, 'ec');
  if (!isEcCurve(curve)) throw curveError();
  return curve;
}

/**
 * The curve of an EC key, by Coffer's name. A key whose encoding spells out its curve parameters
 * instead of naming the curve is refused (ATTRIBUTE_VALUE_INVALID), even when OpenSSL matches
 * them to a named curve: see ec-named-curve.ts.
 */
function curveOf(key: KeyObject): EcCurve {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'ec') {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'not an EC key');
  }
  requireNamedCurve(key, 'ATTRIBUTE_VALUE_INVALID');
  const openssl = key.asymmetricKeyDetails?.namedCurve;
  const curve = EC_CURVE_NAMES.find((name) => EC_CURVES[name] === openssl);
  if (curve === undefined) throw curveError();
  return curve;
}

/** The callback form of generateKeyPair runs on the libuv pool. */
function generateOnPool(namedCurve: string): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

/** Where raw pairs come from: the pool, or in a test a faulty source. */
export type EcPairSource = (opensslCurve: string) => Promise<GeneratedKeyPair>;

/** A fresh pair on a supported curve, after its pairwise consistency test. */
export async function generateEcKeyPair(
  curve: EcCurve,
  source: EcPairSource = generateOnPool,
): Promise<GeneratedKeyPair> {
  return checkedPair(await source(EC_CURVES[curve]));
}

async function generatePair(spec: KeySpec): Promise<GeneratedKeyPair> {
  return generateEcKeyPair(specCurve(spec));
}

export const ecKeys: KeyTypeEntry<'ec'> = {
  keyType: 'ec',
  checkSpec: (spec) => void specCurve(spec),
  checkKey: (key) => void curveOf(key),
  generatePair,
  shape: (key): KeyShape => ({ curve: curveOf(key) }),
  encodings: PAIR_ENCODINGS,
  generationMechanism: 'EC_KEY_PAIR_GEN',
  opensslTypes: ['ec'],
  specFromRequest: (fields) => ({ keyType: 'ec', curve: requiredField(fields, 'curve') }),
  specFromShape: (stored) => ({ keyType: 'ec', curve: stored.curve ?? '' }),
  checkValueSource: sha1OfPublicKeyInfo,
};
