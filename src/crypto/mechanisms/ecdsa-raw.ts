import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { MAX_DIGEST_BYTES } from '../hash.js';
import { ecCurveInfo } from '../keys/ec-key-bytes.js';
import { signEcdsaDigest, verifyEcdsaDigest } from '../native/digest-sign.js';
import type { MechanismParams, SignatureMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, signatureEncodingParam, type SignatureEncoding } from './asymmetric-params.js';

/**
 * PKCS#11 takes a digest of any length and ECDSA uses its leftmost bits up to the order's size
 * (SEC 1 §4.1.3 step 5, as OpenSSL does). Coffer bounds it to a real digest: 1 byte up to
 * SHA-512's 64, so a caller cannot pass bulk data here by mistake.
 */
function checkDigest(digest: Buffer): void {
  if (!Buffer.isBuffer(digest) || digest.length === 0 || digest.length > MAX_DIGEST_BYTES) {
    throw new CofferError('DATA_LEN_RANGE', `ECDSA signs a digest of 1 to ${MAX_DIGEST_BYTES} bytes`);
  }
}

/**
 * CKM_ECDSA: the input is the caller's digest. node:crypto always hashes what it signs, so
 * OpenSSL's EVP_PKEY_sign signs it through Coffer's native addon, on the libuv pool. The nonce
 * is OpenSSL's (from the key, the digest and fresh randomness). Verification accepts any
 * signature OpenSSL accepts (high-S too) and nothing else: r‖s of exactly twice the order's
 * size, or strict DER.
 */
class EcdsaRaw implements SignatureMechanism {
  readonly name = 'ECDSA' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['ec'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'none' as const;

  private encoding(key: KeyObject, params: MechanismParams): SignatureEncoding {
    acceptOnly(params, ['signatureEncoding'], this.name);
    const encoding = signatureEncodingParam(params, this.name);
    ecCurveInfo(key); // KEY_TYPE_INCONSISTENT for a curve Coffer does not have
    return encoding;
  }

  async sign(privateKey: KeyObject, digest: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'ec', ['private'], this.name);
    const encoding = this.encoding(privateKey, params);
    checkDigest(digest);
    return signEcdsaDigest(privateKey, digest, encoding);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, digest: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'ec', ['public', 'private'], this.name);
    const encoding = this.encoding(key, params);
    checkDigest(digest);
    if (!Buffer.isBuffer(signature)) return false;
    return verifyEcdsaDigest(key, digest, signature, encoding);
  }
}

export const ecdsaRaw: SignatureMechanism = new EcdsaRaw();
