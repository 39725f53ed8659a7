import type { KeyType } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { objectIdentifier, printableString } from './der.js';

/**
 * CKA_EC_PARAMS: the curve of an EC or Edwards key, as the DER of its OID (what the node
 * answers) or, on input, also the DER PrintableString of its name (PKCS#11 3.0 allows that for
 * Edwards curves; some clients send it for the others). One row per curve Coffer supports.
 */
const CURVES = [
  { curve: 'secp256r1', keyType: 'ec', oid: '1.2.840.10045.3.1.7', names: ['secp256r1', 'prime256v1', 'P-256'] },
  { curve: 'secp384r1', keyType: 'ec', oid: '1.3.132.0.34', names: ['secp384r1', 'P-384'] },
  { curve: 'secp521r1', keyType: 'ec', oid: '1.3.132.0.35', names: ['secp521r1', 'P-521'] },
  { curve: 'secp256k1', keyType: 'ec', oid: '1.3.132.0.10', names: ['secp256k1'] },
  { curve: 'ed25519', keyType: 'ec-edwards', oid: '1.3.101.112', names: ['edwards25519', 'ed25519'] },
] as const satisfies readonly {
  curve: string;
  keyType: KeyType;
  oid: string;
  names: readonly string[];
}[];

const ENCODED = CURVES.map((row) => ({
  ...row,
  der: objectIdentifier(row.oid),
  printable: row.names.map((name) => printableString(name)),
}));

/** The CKA_EC_PARAMS of a key of Coffer's `curve` (the OID's DER). */
export function ecParamsOf(curve: string): Buffer {
  const row = ENCODED.find((candidate) => candidate.curve === curve);
  if (!row) throw new CofferError('INTERNAL_ERROR', `no EC parameters for ${curve}`);
  return Buffer.from(row.der);
}

/**
 * The curve CKA_EC_PARAMS names, for a key of `keyType` (ec or ec-edwards):
 * ATTRIBUTE_VALUE_INVALID for parameters that name no supported curve of that type.
 */
export function curveOfParams(params: Buffer, keyType: KeyType): string {
  const row = ENCODED.find(
    (candidate) =>
      candidate.keyType === keyType &&
      (candidate.der.equals(params) || candidate.printable.some((name) => name.equals(params))),
  );
  if (!row) {
    const supported = ENCODED.filter((candidate) => candidate.keyType === keyType).map((candidate) => candidate.curve);
    throw new CofferError('ATTRIBUTE_VALUE_INVALID', `CKA_EC_PARAMS names none of ${supported.join(', ')}`);
  }
  return row.curve;
}
