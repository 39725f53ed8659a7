import { constants, privateEncrypt, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismParams, SignatureMechanism } from '../types.js';
import { modulusBytes, requireKey } from './key-requirements.js';
import { acceptOnly } from './asymmetric-params.js';

/** PKCS#1 v1.5 padding takes at least 11 bytes (RFC 8017 §9.2 step 3). */
const PADDING_BYTES = 11;

/**
 * CKM_RSA_PKCS as a signature: RSASSA-PKCS1-v1_5 over what the caller gives, usually a
 * DigestInfo it made (OpenSSL's engine, OpenSSH's agent and Java's NONEwithRSA sign so). The
 * block type 1 padding is OpenSSL's (RSA_private_encrypt with RSA_PKCS1_PADDING), never
 * decryption's type 2: a signing key gains no way to decrypt. Verification recovers the padded
 * input with the public key and compares it in constant time. Runs on the event loop: one
 * private-key operation per call, bounded input.
 */
class RsaPkcsRawSignature implements SignatureMechanism {
  readonly name = 'RSA_PKCS' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'none' as const;

  private checkInput(key: KeyObject, data: Buffer): void {
    const max = modulusBytes(key) - PADDING_BYTES;
    if (!Buffer.isBuffer(data) || data.length > max) {
      throw new CofferError('DATA_LEN_RANGE', `${this.name} signs at most ${max} bytes with this key`);
    }
  }

  async sign(privateKey: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'rsa', ['private'], this.name);
    acceptOnly(params, [], this.name);
    this.checkInput(privateKey, data);
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, data);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    acceptOnly(params, [], this.name);
    this.checkInput(key, data);
    if (!Buffer.isBuffer(signature) || signature.length !== modulusBytes(key)) return false;
    let recovered: Buffer;
    try {
      recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    } catch {
      return false;
    }
    return recovered.length === data.length && timingSafeEqual(recovered, data);
  }
}

export const rsaPkcsRawSignature: SignatureMechanism = new RsaPkcsRawSignature();
