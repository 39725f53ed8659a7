import { constants, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { signAsync, verifyAsync } from '../async-sign.js';
import { checkDataLength } from '../limits.js';
import type { SignatureMechanism, SignatureParams } from '../types.js';
import { refuseParam, requireAsymmetricKey } from './key-checks.js';

/** RSASSA-PSS with SHA-256 and MGF1-SHA-256 (RFC 8017 §9.1; PKCS#11 CKM_SHA256_RSA_PKCS_PSS). */
const PSS = { hashBytes: 32, defaultSaltBytes: 32 } as const;

/** Largest salt: emLen − hLen − 2 (RFC 8017 §9.1.1 step 3), with emLen taken as the modulus bytes. */
function maxSaltBytes(key: KeyObject): number {
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  return modulusBytes - PSS.hashBytes - 2;
}

function checkParams(key: KeyObject, params: SignatureParams): number {
  refuseParam(params.signatureEncoding !== undefined, 'signatureEncoding', 'SHA256_RSA_PKCS_PSS');
  const saltLength = params.saltLength ?? PSS.defaultSaltBytes;
  const max = maxSaltBytes(key);
  if (!Number.isInteger(saltLength) || saltLength < 0 || saltLength > max) {
    throw new CofferError(
      'MECHANISM_PARAM_INVALID',
      `SHA256_RSA_PKCS_PSS saltLength is 0 to ${max} bytes for this key`,
    );
  }
  return saltLength;
}

/** OpenSSL's PSS uses the signature digest for MGF1 unless told otherwise: SHA-256 here. */
function pssOptions(key: KeyObject, saltLength: number): SignKeyObjectInput {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

class RsaPssSha256 implements SignatureMechanism {
  readonly name = 'SHA256_RSA_PKCS_PSS' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'accumulate' as const;

  async sign(privateKey: KeyObject, data: Buffer, params: SignatureParams): Promise<Buffer> {
    requireAsymmetricKey(privateKey, 'rsa', ['private'], this.name);
    const saltLength = checkParams(privateKey, params);
    checkDataLength(data);
    return signAsync('sha256', data, pssOptions(privateKey, saltLength));
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: SignatureParams): Promise<boolean> {
    requireAsymmetricKey(key, 'rsa', ['public', 'private'], this.name);
    const saltLength = checkParams(key, params);
    checkDataLength(data);
    if (!Buffer.isBuffer(signature)) return false;
    return verifyAsync('sha256', data, pssOptions(key, saltLength), signature).catch(() => false);
  }
}

export const rsaPssSha256: SignatureMechanism = new RsaPssSha256();
