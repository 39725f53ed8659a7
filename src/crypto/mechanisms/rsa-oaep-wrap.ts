import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismParams, WrapMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { oaepDecrypt, oaepEncrypt, oaepMaxMessageBytes, oaepOptions } from './rsa-oaep-core.js';

/**
 * CKM_RSA_PKCS_OAEP as a wrap mechanism: a secret key's bytes sealed to an RSA public key. Only
 * short material fits (k − 2·hLen − 2 bytes); private keys need RSA_AES_KEY_WRAP.
 */
class RsaOaepWrap implements WrapMechanism {
  readonly name = 'RSA_PKCS_OAEP' as const;
  readonly kind = 'wrap' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { wrap: 'public', unwrap: 'private' } as const;

  async wrap(wrappingKey: KeyObject, material: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(wrappingKey, 'rsa', ['public', 'private'], this.name);
    const options = oaepOptions(params, this.name);
    const max = oaepMaxMessageBytes(wrappingKey, options.hash);
    if (material.length === 0 || material.length > max) {
      throw new CofferError('KEY_SIZE_RANGE', `${this.name} wraps 1 to ${max} bytes of key material with this key`);
    }
    return oaepEncrypt(wrappingKey, material, options, this.name);
  }

  /** ENCRYPTED_DATA_INVALID for wrapped bytes of the wrong length or that do not decrypt. */
  async unwrap(unwrappingKey: KeyObject, wrapped: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(unwrappingKey, 'rsa', ['private'], this.name);
    const options = oaepOptions(params, this.name);
    try {
      return oaepDecrypt(unwrappingKey, wrapped, options, this.name);
    } catch (error) {
      if (error instanceof CofferError && error.code === 'DATA_LEN_RANGE') {
        throw new CofferError('ENCRYPTED_DATA_INVALID', `${this.name} wrapped key has the wrong length`);
      }
      throw error;
    }
  }
}

export const rsaOaepWrap: WrapMechanism = new RsaOaepWrap();
