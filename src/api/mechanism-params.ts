import type { HashName, MechanismParams } from '../crypto/types.js';
import { decodeBase64 } from './base64.js';
import { base64 } from './schemas.js';

/**
 * The mechanism parameters every crypto, wrap and derive body may carry, as one schema
 * fragment and one decoder, so a parameter means the same thing on every route.
 */
const HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const satisfies readonly HashName[];

export const MECHANISM_PARAM_SCHEMA = {
  iv: base64,
  aad: base64,
  tagLengthBits: { type: 'integer' },
  counterBits: { type: 'integer' },
  signatureEncoding: { type: 'string', enum: ['p1363', 'der'] },
  saltLength: { type: 'integer', minimum: 0 },
  hash: { type: 'string', enum: HASHES },
  mgf1Hash: { type: 'string', enum: HASHES },
  oaepLabel: base64,
  publicKey: base64,
  kdf: { type: 'string', enum: ['null', 'x963', 'hkdf'] },
  sharedInfo: base64,
  salt: base64,
  info: base64,
  label: base64,
  context: base64,
} as const;

/** The body fields above, as they arrive (binary still base64). */
export interface MechanismParamFields {
  iv?: string;
  aad?: string;
  tagLengthBits?: number;
  counterBits?: number;
  signatureEncoding?: 'p1363' | 'der';
  saltLength?: number;
  hash?: HashName;
  mgf1Hash?: HashName;
  oaepLabel?: string;
  publicKey?: string;
  kdf?: 'null' | 'x963' | 'hkdf';
  sharedInfo?: string;
  salt?: string;
  info?: string;
  label?: string;
  context?: string;
}

const BINARY = ['iv', 'aad', 'oaepLabel', 'publicKey', 'sharedInfo', 'salt', 'info', 'label', 'context'] as const;
const PLAIN = ['tagLengthBits', 'counterBits', 'signatureEncoding', 'saltLength', 'hash', 'mgf1Hash', 'kdf'] as const;

/** Only the parameters present are set: a mechanism refuses one it does not take. */
export function decodeMechanismParams(fields: MechanismParamFields): MechanismParams {
  const params: Record<string, unknown> = {};
  for (const name of BINARY) {
    const value = fields[name];
    if (value !== undefined) params[name] = decodeBase64(value, name);
  }
  for (const name of PLAIN) {
    if (fields[name] !== undefined) params[name] = fields[name];
  }
  return params as MechanismParams;
}

/**
 * The same parameters on the key routes (wrap, unwrap, derive), where `label` names the new
 * key: the SP 800-108 Label travels there as `kdfLabel`.
 */
const { label: _kdfLabelSchema, ...PARAMS_WITHOUT_LABEL } = MECHANISM_PARAM_SCHEMA;
export const KEY_ROUTE_PARAM_SCHEMA = { ...PARAMS_WITHOUT_LABEL, kdfLabel: MECHANISM_PARAM_SCHEMA.label } as const;

export type KeyRouteParamFields = Omit<MechanismParamFields, 'label'> & { kdfLabel?: string };

/** `fields` is the whole body: its `label` is the new key's name and is not a parameter. */
export function decodeKeyRouteParams(fields: KeyRouteParamFields & { label?: string }): MechanismParams {
  const { kdfLabel, label: _keyLabel, ...rest } = fields;
  return decodeMechanismParams({ ...rest, ...(kdfLabel !== undefined && { label: kdfLabel }) });
}
