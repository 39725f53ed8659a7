import { createECDH, createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { EC_CURVES, type EcCurve } from '../crypto/keys/ec.js';
import type { KeyType } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { AttributeTypeName } from './attribute-types.js';

/**
 * A private key from its PKCS#11 components (C_CreateObject of a CKO_PRIVATE_KEY, where the
 * cluster policy allows plaintext import): RSA from the modulus, exponents, primes and CRT
 * values; EC from CKA_VALUE (the scalar) and the curve; Ed25519 from CKA_VALUE (the 32-byte
 * seed). The caller zeroes the component buffers.
 */
const RSA_COMPONENTS = [
  ['CKA_MODULUS', 'n'],
  ['CKA_PRIVATE_EXPONENT', 'd'],
  ['CKA_PRIME_1', 'p'],
  ['CKA_PRIME_2', 'q'],
  ['CKA_EXPONENT_1', 'dp'],
  ['CKA_EXPONENT_2', 'dq'],
  ['CKA_COEFFICIENT', 'qi'],
] as const satisfies readonly (readonly [AttributeTypeName, keyof JsonWebKey])[];

const JWK_CRV: Readonly<Record<EcCurve, { crv: string; bytes: number }>> = {
  secp256r1: { crv: 'P-256', bytes: 32 },
  secp384r1: { crv: 'P-384', bytes: 48 },
  secp521r1: { crv: 'P-521', bytes: 66 },
  secp256k1: { crv: 'secp256k1', bytes: 32 },
};

/** PKCS#8 for Ed25519 is this fixed prefix (RFC 8410) and the seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function stripped(bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start).toString('base64url');
}

function padded(bytes: Buffer, length: number): Buffer {
  let start = 0;
  while (bytes.length - start > length && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  if (value.length > length) throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'CKA_VALUE is too long for the curve');
  return Buffer.concat([Buffer.alloc(length - value.length), value]);
}

const need = (name: string): never => {
  throw new CofferError('TEMPLATE_INCOMPLETE', `a private key from its components needs ${name}`);
};

export function privateKeyFromParts(
  keyType: KeyType,
  material: Partial<Record<AttributeTypeName, Buffer>>,
  parts: { readonly publicExponent?: Buffer; readonly curve?: string },
): KeyObject {
  try {
    if (keyType === 'rsa') {
      const jwk: JsonWebKey = { kty: 'RSA', e: stripped(parts.publicExponent ?? need('CKA_PUBLIC_EXPONENT')) };
      for (const [name, field] of RSA_COMPONENTS) jwk[field] = stripped(material[name] ?? need(name));
      return createPrivateKey({ key: jwk, format: 'jwk' });
    }
    const value = material.CKA_VALUE ?? need('CKA_VALUE');
    if (keyType === 'ec-edwards') {
      if (value.length !== 32) throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'an Ed25519 CKA_VALUE is 32 bytes');
      return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, value]), format: 'der', type: 'pkcs8' });
    }
    const curve = (parts.curve ?? need('CKA_EC_PARAMS')) as EcCurve;
    const { crv, bytes } = JWK_CRV[curve];
    const d = padded(value, bytes);
    const ecdh = createECDH(EC_CURVES[curve]);
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey();
    const x = point.subarray(1, 1 + bytes).toString('base64url');
    const y = point.subarray(1 + bytes).toString('base64url');
    return createPrivateKey({ key: { kty: 'EC', crv, d: d.toString('base64url'), x, y }, format: 'jwk' });
  } catch (error) {
    if (error instanceof CofferError) throw error;
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', 'the components make no valid private key');
  }
}
