import { createPublicKey, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { CofferError } from '../../errors/coffer-error.js';

/** The pieces of an EC curve that raw-point and raw-scalar work needs, by OpenSSL's curve name. */
export interface EcCurveInfo {
  /** The audited noble implementation, for what node:crypto does not offer (prehashed ECDSA). */
  readonly noble: typeof p256;
  /** Field (and scalar) size in bytes: the size of x, y, r, s and the private scalar. */
  readonly fieldBytes: number;
  /** The JWK "crv" name, to build a public key from an uncompressed point. */
  readonly jwkCurve: string;
}

const CURVES: Readonly<Record<string, EcCurveInfo>> = {
  prime256v1: { noble: p256, fieldBytes: 32, jwkCurve: 'P-256' },
  secp384r1: { noble: p384, fieldBytes: 48, jwkCurve: 'P-384' },
  secp521r1: { noble: p521, fieldBytes: 66, jwkCurve: 'P-521' },
  secp256k1: { noble: secp256k1, fieldBytes: 32, jwkCurve: 'secp256k1' },
};

/** The curve of an EC key; KEY_TYPE_INCONSISTENT for a curve Coffer does not have. */
export function ecCurveInfo(key: KeyObject): EcCurveInfo {
  const info = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (info === undefined) throw new CofferError('KEY_TYPE_INCONSISTENT', 'unsupported EC curve');
  return info;
}

/** A view of a Buffer as the plain Uint8Array noble expects, sharing its memory (so zeroing reaches it). */
function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/**
 * SEC 1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING privateKey, … } (RFC 5915 §3). OpenSSL
 * writes the scalar at the field size, so its offset depends only on the SEQUENCE length form.
 */
function scalarView(der: Buffer, fieldBytes: number): Uint8Array {
  const lengthBytes = (der[1] ?? 0) & 0x80 ? ((der[1] ?? 0) & 0x7f) + 1 : 1;
  const at = 1 + lengthBytes;
  const header = der.subarray(at, at + 5);
  const expected = Buffer.from([0x02, 0x01, 0x01, 0x04, fieldBytes]);
  if (der[0] !== 0x30 || !header.equals(expected)) {
    throw new CofferError('KEY_TYPE_INCONSISTENT', 'unexpected EC private key encoding');
  }
  return bytesOf(der).subarray(at + 5, at + 5 + fieldBytes);
}

/**
 * Runs `use` with the private scalar of an EC key and zeroes every copy Coffer made when it
 * returns or throws. (The noble library turns the scalar into a BigInt, which no JavaScript code
 * can wipe; the bytes at least do not outlive the call.)
 */
export function withPrivateScalar<T>(key: KeyObject, use: (scalar: Uint8Array, curve: EcCurveInfo) => T): T {
  const curve = ecCurveInfo(key);
  const der = key.export({ type: 'sec1', format: 'der' });
  try {
    return use(scalarView(der, curve.fieldBytes), curve);
  } finally {
    der.fill(0);
  }
}

/** The uncompressed point 04‖x‖y of an EC key (public, or the public half of a private key). */
export function publicPoint(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  return bytesOf(Buffer.concat([Buffer.from([0x04]), x, y]));
}

/** A public key on the curve of `like` from an uncompressed point; throws if it is not on the curve. */
export function publicKeyFromPoint(point: Buffer, like: KeyObject): KeyObject {
  const { fieldBytes, jwkCurve } = ecCurveInfo(like);
  if (point.length !== 1 + 2 * fieldBytes || point[0] !== 0x04) throw new Error('not an uncompressed point');
  const x = point.subarray(1, 1 + fieldBytes).toString('base64url');
  const y = point.subarray(1 + fieldBytes).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: jwkCurve, x, y }, format: 'jwk' });
}
