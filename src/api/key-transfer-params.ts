import type { HashName, MechanismParams } from '../crypto/types.js';
import { optionalBase64 } from './base64.js';
import { base64 } from './schemas.js';

/**
 * The mechanism parameters of the wrap, unwrap and derive bodies (docs/reference/api.md,
 * "Mechanism parameters"), as schema fields and their decoding. The SP 800-108 Label travels as
 * `kdfLabel`, because `label` in these bodies is the new key's CKA_LABEL.
 */
const BINARY_PARAMS = ['iv', 'aad', 'oaepLabel', 'publicKey', 'sharedInfo', 'salt', 'info', 'context'] as const;

type BinaryParam = (typeof BINARY_PARAMS)[number];

export const MECHANISM_PARAM_FIELDS = {
  ...(Object.fromEntries(BINARY_PARAMS.map((name) => [name, base64])) as Record<BinaryParam, typeof base64>),
  kdfLabel: base64,
  tagLengthBits: { type: 'integer' },
  counterBits: { type: 'integer' },
  saltLength: { type: 'integer', minimum: 0 },
  signatureEncoding: { type: 'string', enum: ['p1363', 'der'] },
  hash: { type: 'string', enum: ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] },
  kdf: { type: 'string', enum: ['null', 'x963', 'hkdf'] },
} as const;

export type MechanismParamBody = Partial<Record<BinaryParam | 'kdfLabel', string>> & {
  tagLengthBits?: number;
  counterBits?: number;
  saltLength?: number;
  signatureEncoding?: 'p1363' | 'der';
  hash?: HashName;
  kdf?: 'null' | 'x963' | 'hkdf';
};

/** The parameters present in `body`, decoded; absent ones stay absent (never defaulted here). */
export function mechanismParams(body: MechanismParamBody): MechanismParams {
  const params: Record<string, unknown> = {};
  for (const name of BINARY_PARAMS) {
    const value = optionalBase64(body[name], name);
    if (value) params[name] = value;
  }
  const label = optionalBase64(body.kdfLabel, 'kdfLabel');
  if (label) params.label = label;
  for (const name of ['tagLengthBits', 'counterBits', 'saltLength', 'signatureEncoding', 'hash', 'kdf'] as const) {
    if (body[name] !== undefined) params[name] = body[name];
  }
  return params as MechanismParams;
}
