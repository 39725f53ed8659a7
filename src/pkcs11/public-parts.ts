import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { KeyType } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { octetString, readWhole, TAG } from './der.js';

/**
 * The public parts of an asymmetric key as PKCS#11 spells them, and back: CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT as big-endian bytes, CKA_EC_POINT as the DER OCTET STRING of the
 * uncompressed point (of the 32-byte key for Ed25519) — as pkcs11-tool, OpenSSL's libp11 and
 * Java read it — and CKA_PUBLIC_KEY_INFO as the SPKI DER. Only ever public values.
 */
export interface PublicParts {
  readonly publicKeyInfo: Buffer;
  readonly modulus?: Buffer;
  readonly publicExponent?: Buffer;
  readonly ecPoint?: Buffer;
}

/** JWK curve names and field sizes, by Coffer's curve name. */
const JWK_CURVES: Readonly<Record<string, { readonly crv: string; readonly bytes: number }>> = {
  secp256r1: { crv: 'P-256', bytes: 32 },
  secp384r1: { crv: 'P-384', bytes: 48 },
  secp521r1: { crv: 'P-521', bytes: 66 },
  secp256k1: { crv: 'secp256k1', bytes: 32 },
  ed25519: { crv: 'Ed25519', bytes: 32 },
};

const fromBase64Url = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url');

/** The public parts of a public key, or of a private key's public half. */
export function publicPartsOf(key: KeyObject): PublicParts {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.type !== 'public') throw new CofferError('INTERNAL_ERROR', 'a secret key has no public parts');
  const publicKeyInfo = publicKey.export({ type: 'spki', format: 'der' });
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return { publicKeyInfo, modulus: fromBase64Url(jwk.n), publicExponent: fromBase64Url(jwk.e) };
  if (jwk.kty === 'EC') {
    const point = Buffer.concat([Buffer.from([0x04]), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]);
    return { publicKeyInfo, ecPoint: octetString(point) };
  }
  return { publicKeyInfo, ecPoint: octetString(fromBase64Url(jwk.x)) };
}

/** Big-endian bytes without leading zeros, as JWK wants them; ATTRIBUTE_VALUE_INVALID for zero. */
function unsigned(name: string, bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) throw new CofferError('ATTRIBUTE_VALUE_INVALID', `${name} is zero`);
  return bytes.subarray(start).toString('base64url');
}

/** The point of CKA_EC_POINT: its DER OCTET STRING, or (as some clients send it) the raw point. */
function pointBytes(ecPoint: Buffer, length: number): Buffer {
  const wrapped = readWhole(ecPoint);
  if (wrapped?.tag === TAG.OCTET_STRING && wrapped.content.length === length) return wrapped.content;
  if (ecPoint.length === length) return ecPoint;
  throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_EC_POINT is not a point of the curve (uncompressed)');
}

/** A public key from its PKCS#11 components; ATTRIBUTE_VALUE_INVALID when they make no valid key. */
export function publicKeyFromParts(
  keyType: KeyType,
  parts: { modulus?: Buffer; publicExponent?: Buffer; curve?: string; ecPoint?: Buffer },
): KeyObject {
  let jwk: JsonWebKey;
  if (keyType === 'rsa') {
    if (!parts.modulus || !parts.publicExponent)
      throw new CofferError('TEMPLATE_INCOMPLETE', 'an RSA public key needs CKA_MODULUS and CKA_PUBLIC_EXPONENT');
    jwk = {
      kty: 'RSA',
      n: unsigned('CKA_MODULUS', parts.modulus),
      e: unsigned('CKA_PUBLIC_EXPONENT', parts.publicExponent),
    };
  } else {
    if (parts.curve === undefined || !parts.ecPoint)
      throw new CofferError('TEMPLATE_INCOMPLETE', 'an EC public key needs CKA_EC_PARAMS and CKA_EC_POINT');
    const curve = JWK_CURVES[parts.curve];
    if (!curve) throw new CofferError('ATTRIBUTE_VALUE_INVALID', `no curve ${parts.curve}`);
    if (keyType === 'ec-edwards') {
      jwk = { kty: 'OKP', crv: curve.crv, x: pointBytes(parts.ecPoint, curve.bytes).toString('base64url') };
    } else {
      const point = pointBytes(parts.ecPoint, 1 + 2 * curve.bytes);
      if (point[0] !== 0x04) throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_EC_POINT is not uncompressed');
      const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
      const y = point.subarray(1 + curve.bytes).toString('base64url');
      jwk = { kty: 'EC', crv: curve.crv, x, y };
    }
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'the components make no valid public key');
  }
}
