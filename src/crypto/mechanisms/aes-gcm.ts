import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { checkDataLength, MAX_DATA_BYTES } from '../limits.js';
import type { CipherMechanism, CipherResult, MechanismParams, PartStream } from '../types.js';
import { checkGcmParams, GCM, gcmCipherName, type GcmParams } from './aes-gcm-params.js';
import { gcmDecryptStream, gcmEncryptStream } from './aes-gcm-stream.js';
import { requireAesKey } from './key-checks.js';

/** No IV given: the node makes one, as CloudHSM does, and returns it. */
function withIv(params: MechanismParams): MechanismParams {
  return params.iv === undefined ? { ...params, iv: randomBytes(GCM.ivBytes) } : params;
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
  /** The tag fails for a wrong key. */
  readonly authenticated = true;
  /** The node makes the 96-bit IV on encrypt (random, SP 800-38D §8.2.2) unless one is given. */
  readonly makesIv = true;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    requireAesKey(key, this.name);
    const checked = checkGcmParams(withIv(params));
    checkDataLength(plaintext);
    return this.onEncrypt(key, plaintext, checked);
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    requireAesKey(key, this.name);
    const checked = checkGcmParams(params);
    checkDataLength(ciphertext, MAX_DATA_BYTES + checked.tagBytes);
    if (ciphertext.length < checked.tagBytes) {
      throw new CofferError('ENCRYPTED_DATA_INVALID', 'input is shorter than the tag');
    }
    return this.onDecrypt(key, ciphertext, checked);
  }

  /** Multi-part: the same checks; decryption needs the IV, encryption makes one when none is given. */
  begin(key: KeyObject, direction: 'encrypt' | 'decrypt', params: MechanismParams): PartStream {
    requireAesKey(key, this.name);
    return direction === 'encrypt'
      ? gcmEncryptStream(key, checkGcmParams(withIv(params)))
      : gcmDecryptStream(key, checkGcmParams(params));
  }

  private onEncrypt(key: KeyObject, plaintext: Buffer, params: GcmParams): CipherResult {
    const { iv } = params;
    const cipher = createCipheriv(gcmCipherName(key), key, iv, { authTagLength: params.tagBytes });
    cipher.setAAD(params.aad);
    const output = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { output, iv };
  }

  private onDecrypt(key: KeyObject, input: Buffer, params: GcmParams): Buffer {
    const split = input.length - params.tagBytes;
    const decipher = createDecipheriv(gcmCipherName(key), key, params.iv, { authTagLength: params.tagBytes });
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
