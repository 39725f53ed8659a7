import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { checkDataLength, MAX_AAD_BYTES, MAX_DATA_BYTES } from '../limits.js';
import type { CipherMechanism, CipherParams, CipherResult } from '../types.js';
import { requireAesKey } from './key-checks.js';

/** Parameter rules (NIST SP 800-38D §5.2.1; PKCS#11 CK_GCM_PARAMS). */
const GCM = {
  ivBytes: 12,
  tagBits: { min: 96, max: 128, step: 8, default: 128 },
} as const;

const GCM_CIPHERS: Readonly<Record<number, CipherGCMTypes>> = {
  16: 'aes-128-gcm',
  24: 'aes-192-gcm',
  32: 'aes-256-gcm',
};

/** Parameters after the check step: every value present and valid. */
interface GcmParams {
  readonly iv: Buffer;
  readonly aad: Buffer;
  readonly tagBytes: number;
}

function paramError(detail: string): CofferError {
  return new CofferError('MECHANISM_PARAM_INVALID', `AES_GCM ${detail}`);
}

function checkParams(params: CipherParams): GcmParams {
  const { iv, aad, tagLengthBits = GCM.tagBits.default } = params;
  if (!Buffer.isBuffer(iv) || iv.length !== GCM.ivBytes) {
    throw paramError(`iv must be ${GCM.ivBytes} bytes`);
  }
  if (aad !== undefined && (!Buffer.isBuffer(aad) || aad.length > MAX_AAD_BYTES)) {
    throw paramError(`aad must be at most ${MAX_AAD_BYTES} bytes`);
  }
  const { min, max, step } = GCM.tagBits;
  if (!Number.isInteger(tagLengthBits) || tagLengthBits < min || tagLengthBits > max || tagLengthBits % step !== 0) {
    throw paramError(`tag length is ${min} to ${max} bits in steps of ${step}`);
  }
  return { iv, aad: aad ?? Buffer.alloc(0), tagBytes: tagLengthBits / 8 };
}

function cipherName(key: KeyObject): CipherGCMTypes {
  const name = GCM_CIPHERS[key.symmetricKeySize ?? 0];
  if (name === undefined) throw new CofferError('KEY_TYPE_INCONSISTENT', 'AES_GCM needs a secret AES key');
  return name;
}

/**
 * AES-GCM, PKCS#11 style: encrypt returns ciphertext‖tag, decrypt takes ciphertext‖tag. Runs on
 * the event loop: it is fast, and input is bounded by MAX_DATA_BYTES.
 */
class AesGcm implements CipherMechanism {
  readonly name = 'AES_GCM' as const;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { encrypt: 'secret', decrypt: 'secret' } as const;

  async encrypt(key: KeyObject, plaintext: Buffer, params: CipherParams): Promise<CipherResult> {
    requireAesKey(key, this.name);
    // No IV given: the node makes one, as CloudHSM does, and returns it.
    const checked = checkParams(params.iv === undefined ? { ...params, iv: randomBytes(GCM.ivBytes) } : params);
    checkDataLength(plaintext);
    return this.onEncrypt(key, plaintext, checked);
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: CipherParams): Promise<Buffer> {
    requireAesKey(key, this.name);
    const checked = checkParams(params);
    checkDataLength(ciphertext, MAX_DATA_BYTES + checked.tagBytes);
    if (ciphertext.length < checked.tagBytes) {
      throw new CofferError('ENCRYPTED_DATA_INVALID', 'input is shorter than the tag');
    }
    return this.onDecrypt(key, ciphertext, checked);
  }

  private onEncrypt(key: KeyObject, plaintext: Buffer, params: GcmParams): CipherResult {
    const { iv } = params;
    const cipher = createCipheriv(cipherName(key), key, iv, { authTagLength: params.tagBytes });
    cipher.setAAD(params.aad);
    const output = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { output, iv };
  }

  private onDecrypt(key: KeyObject, input: Buffer, params: GcmParams): Buffer {
    const split = input.length - params.tagBytes;
    const decipher = createDecipheriv(cipherName(key), key, params.iv, { authTagLength: params.tagBytes });
    decipher.setAAD(params.aad);
    decipher.setAuthTag(input.subarray(split));
    const plaintext = decipher.update(input.subarray(0, split));
    try {
      return Buffer.concat([plaintext, decipher.final()]);
    } catch {
      // Unauthenticated plaintext never leaves: wipe it before refusing.
      plaintext.fill(0);
      throw new CofferError('ENCRYPTED_DATA_INVALID', 'authentication tag mismatch');
    }
  }
}

export const aesGcm: CipherMechanism = new AesGcm();
