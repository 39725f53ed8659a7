import type { CipherGCMTypes, KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { MAX_AAD_BYTES } from '../limits.js';
import type { MechanismName, MechanismParams } from '../types.js';
import { requireAesKey } from './key-checks.js';
import { onlyParams } from './params.js';

/** Parameter rules (NIST SP 800-38D §5.2.1; PKCS#11 CK_GCM_PARAMS). */
export const GCM = {
  ivBytes: 12,
  tagBits: { min: 96, max: 128, step: 8, default: 128 },
} as const;

const GCM_CIPHERS: Readonly<Record<number, CipherGCMTypes>> = {
  16: 'aes-128-gcm',
  24: 'aes-192-gcm',
  32: 'aes-256-gcm',
};

/** Parameters after the check step: every value present and valid. */
export interface GcmParams {
  readonly iv: Buffer;
  readonly aad: Buffer;
  readonly tagBytes: number;
}

function paramError(mechanism: MechanismName, detail: string): CofferError {
  return new CofferError('MECHANISM_PARAM_INVALID', `${mechanism} ${detail}`);
}

/** The check step shared by AES-GCM encryption and AES-GCM key wrapping. */
export function checkGcmParams(params: MechanismParams, mechanism: MechanismName = 'AES_GCM'): GcmParams {
  onlyParams(params, ['iv', 'aad', 'tagLengthBits'], mechanism);
  const { iv, aad, tagLengthBits = GCM.tagBits.default } = params;
  if (!Buffer.isBuffer(iv) || iv.length !== GCM.ivBytes) {
    throw paramError(mechanism, `iv must be ${GCM.ivBytes} bytes`);
  }
  if (aad !== undefined && (!Buffer.isBuffer(aad) || aad.length > MAX_AAD_BYTES)) {
    throw paramError(mechanism, `aad must be at most ${MAX_AAD_BYTES} bytes`);
  }
  const { min, max, step } = GCM.tagBits;
  if (!Number.isInteger(tagLengthBits) || tagLengthBits < min || tagLengthBits > max || tagLengthBits % step !== 0) {
    throw paramError(mechanism, `tag length is ${min} to ${max} bits in steps of ${step}`);
  }
  return { iv, aad: aad ?? Buffer.alloc(0), tagBytes: tagLengthBits / 8 };
}

/** OpenSSL's GCM cipher for a secret AES key; KEY_TYPE_INCONSISTENT otherwise. */
export function gcmCipherName(key: KeyObject, mechanism: MechanismName = 'AES_GCM'): CipherGCMTypes {
  requireAesKey(key, mechanism);
  const name = GCM_CIPHERS[key.symmetricKeySize ?? 0];
  if (name === undefined) throw new CofferError('KEY_TYPE_INCONSISTENT', `${mechanism} needs a secret AES key`);
  return name;
}
