import { createPublicKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';

/** The pieces of an EC curve that raw-point work needs, by OpenSSL's curve name. */
export interface EcCurveInfo {
  /** Field (and scalar) size in bytes: the size of x, y, r, s and the private scalar. */
  readonly fieldBytes: number;
  /** The JWK "crv" name, to build a public key from an uncompressed point. */
  readonly jwkCurve: string;
}

const CURVES: Readonly<Record<string, EcCurveInfo>> = {
  prime256v1: { fieldBytes: 32, jwkCurve: 'P-256' },
  secp384r1: { fieldBytes: 48, jwkCurve: 'P-384' },
  secp521r1: { fieldBytes: 66, jwkCurve: 'P-521' },
  secp256k1: { fieldBytes: 32, jwkCurve: 'secp256k1' },
};

/** The curve of an EC key; KEY_TYPE_INCONSISTENT for a curve Coffer does not have. */
export function ecCurveInfo(key: KeyObject): EcCurveInfo {
  const info = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (info === undefined) throw new CofferError('KEY_TYPE_INCONSISTENT', 'unsupported EC curve');
  return info;
}

/** A public key on the curve of `like` from an uncompressed point; throws if it is not on the curve. */
export function publicKeyFromPoint(point: Buffer, like: KeyObject): KeyObject {
  const { fieldBytes, jwkCurve } = ecCurveInfo(like);
  if (point.length !== 1 + 2 * fieldBytes || point[0] !== 0x04) throw new Error('not an uncompressed point');
  const x = point.subarray(1, 1 + fieldBytes).toString('base64url');
  const y = point.subarray(1 + fieldBytes).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: jwkCurve, x, y }, format: 'jwk' });
}
