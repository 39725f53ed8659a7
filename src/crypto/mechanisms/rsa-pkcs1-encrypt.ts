import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { CipherMechanism, CipherResult, MechanismParams } from '../types.js';
import { modulusBytes, requireKey } from './key-requirements.js';
import { acceptOnly } from './asymmetric-params.js';

/** PKCS#1 v1.5 padding takes at least 11 bytes (RFC 8017 §7.2.1 step 1). */
const PADDING_BYTES = 11;

/**
 * CKM_RSA_PKCS encryption (RSAES-PKCS1-v1_5) for peers that only read it. Decryption is refused:
 * its padding check leaks through timing (Bleichenbacher, and the Marvin attack,
 * CVE-2023-46809), which is why Node 20 itself refuses RSA_PKCS1_PADDING private decryption.
 */
class RsaPkcs1Cipher implements CipherMechanism {
  readonly name = 'RSA_PKCS' as const;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { encrypt: 'public', decrypt: 'private' } as const;
  readonly authenticated = false;
  readonly encryptOnly = true;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    acceptOnly(params, [], this.name);
    const max = modulusBytes(key) - PADDING_BYTES;
    if (plaintext.length > max) {
      throw new CofferError('DATA_LEN_RANGE', `${this.name} encrypts at most ${max} bytes with this key`);
    }
    return { output: publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, plaintext) };
  }

  async decrypt(): Promise<Buffer> {
    throw new CofferError(
      'MECHANISM_INVALID',
      'RSA_PKCS (PKCS#1 v1.5) decryption is refused as unsafe: it is open to the Marvin attack ' +
        '(CVE-2023-46809); use RSA_PKCS_OAEP',
    );
  }
}

export const rsaPkcs1: CipherMechanism = new RsaPkcs1Cipher();
