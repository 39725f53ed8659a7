import type { KeyObject } from 'node:crypto';
import type { CipherMechanism, CipherResult, MechanismParams } from '../types.js';
import { requireKey } from './key-requirements.js';
import { oaepDecrypt, oaepEncrypt, oaepOptions } from './rsa-oaep-core.js';

/**
 * CKM_RSA_PKCS_OAEP as a cipher: encrypt with a public key, decrypt with the private one.
 * `hash` (sha1 default) names the OAEP and MGF1 hash; `oaepLabel` the label.
 */
class RsaOaepCipher implements CipherMechanism {
  readonly name = 'RSA_PKCS_OAEP' as const;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { encrypt: 'public', decrypt: 'private' } as const;
  /** A wrong key fails OAEP's padding check, so older key versions can be tried. */
  readonly authenticated = true;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    const options = oaepOptions(params, this.name);
    return { output: oaepEncrypt(key, plaintext, options, this.name) };
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(key, 'rsa', ['private'], this.name);
    const options = oaepOptions(params, this.name);
    return oaepDecrypt(key, ciphertext, options, this.name);
  }
}

export const rsaOaep: CipherMechanism = new RsaOaepCipher();
