import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismParams, WrapMechanism } from '../types.js';
import { modulusBytes, requireKey } from './key-requirements.js';
import { oaepDecrypt, oaepEncrypt, oaepOptions } from './rsa-oaep-core.js';

/** AES key wrap with padding, RFC 5649, and its alternative initial value (§3). */
const KWP = { cipher: 'id-aes256-wrap-pad', aiv: Buffer.from('a65959a6', 'hex'), keyBytes: 32 } as const;

/** Largest material: an RSA-4096 PKCS#8 DER is about 2.4 KB; this leaves room for larger. */
const MAX_MATERIAL_BYTES = 16 * 1024;

function kwpWrap(key: Buffer, material: Buffer): Buffer {
  const cipher = createCipheriv(KWP.cipher, key, KWP.aiv);
  return Buffer.concat([cipher.update(material), cipher.final()]);
}

function kwpUnwrap(key: Buffer, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv(KWP.cipher, key, KWP.aiv);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

function unwrapError(detail: string, cause?: unknown): CofferError {
  return new CofferError('ENCRYPTED_DATA_INVALID', `RSA_AES_KEY_WRAP ${detail}`, { cause });
}

/**
 * CKM_RSA_AES_KEY_WRAP (PKCS#11 v2.40 §2.1.21): a fresh AES-256 key sealed with RSA-OAEP
 * (`hash`, `oaepLabel`), then the material wrapped under it with AES-KWP (RFC 5649). Output:
 * OAEP ciphertext (k bytes) ‖ KWP output. Wraps material of any size, private keys included.
 * The ephemeral key is zeroed once used.
 */
class RsaAesKeyWrap implements WrapMechanism {
  readonly name = 'RSA_AES_KEY_WRAP' as const;
  readonly kind = 'wrap' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { wrap: 'public', unwrap: 'private' } as const;

  async wrap(wrappingKey: KeyObject, material: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(wrappingKey, 'rsa', ['public', 'private'], this.name);
    const options = oaepOptions(params, this.name);
    if (material.length === 0 || material.length > MAX_MATERIAL_BYTES) {
      throw new CofferError('KEY_SIZE_RANGE', `${this.name} wraps 1 to ${MAX_MATERIAL_BYTES} bytes of key material`);
    }
    const ephemeral = randomBytes(KWP.keyBytes);
    try {
      const sealedKey = oaepEncrypt(wrappingKey, ephemeral, options, this.name);
      return Buffer.concat([sealedKey, kwpWrap(ephemeral, material)]);
    } finally {
      ephemeral.fill(0);
    }
  }

  /** ENCRYPTED_DATA_INVALID when either layer does not decrypt or authenticate. */
  async unwrap(unwrappingKey: KeyObject, wrapped: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(unwrappingKey, 'rsa', ['private'], this.name);
    const options = oaepOptions(params, this.name);
    const k = modulusBytes(unwrappingKey);
    // KWP output is at least two 8-byte blocks and a whole number of them (RFC 5649 §4.1).
    const kwpBytes = wrapped.length - k;
    if (kwpBytes < 16 || kwpBytes % 8 !== 0) throw unwrapError('wrapped key has the wrong length');
    const ephemeral = oaepDecrypt(unwrappingKey, wrapped.subarray(0, k), options, this.name);
    try {
      if (ephemeral.length !== KWP.keyBytes) throw unwrapError('sealed key is not an AES-256 key');
      return kwpUnwrap(ephemeral, wrapped.subarray(k));
    } catch (error) {
      throw error instanceof CofferError ? error : unwrapError('key wrap does not authenticate', error);
    } finally {
      ephemeral.fill(0);
    }
  }
}

export const rsaAesKeyWrap: WrapMechanism = new RsaAesKeyWrap();
