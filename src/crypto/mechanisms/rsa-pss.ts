import { constants, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { signAsync, verifyAsync } from '../async-sign.js';
import { HASHES, perHash } from '../hash.js';
import { checkDataLength } from '../limits.js';
import type { HashName, MechanismParams, SignatureMechanism } from '../types.js';
import { modulusBytes, requireKey } from './key-requirements.js';
import { acceptOnly } from './asymmetric-params.js';

/**
 * RSASSA-PSS (RFC 8017 §9.1; PKCS#11 CKM_SHA256_RSA_PKCS_PSS and its siblings): the message
 * hash and MGF1 use the same hash, as the combined PKCS#11 mechanisms require. OpenSSL's MGF1
 * defaults to the signature digest, so that needs no option. Runs on the libuv pool.
 */
class RsaPss implements SignatureMechanism {
  readonly kind = 'signature' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'accumulate' as const;
  readonly name: string;

  constructor(private readonly hash: HashName) {
    this.name = `${HASHES[hash].pkcs11}_RSA_PKCS_PSS`;
  }

  /** Largest salt: emLen − hLen − 2, emLen = ⌈(modBits − 1) / 8⌉ (RFC 8017 §9.1.1 step 3). */
  private maxSaltBytes(key: KeyObject): number {
    const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return Math.ceil((modulusBits - 1) / 8) - HASHES[this.hash].bytes - 2;
  }

  /** The check step: only saltLength, by default the hash length. */
  private options(key: KeyObject, params: MechanismParams): SignKeyObjectInput {
    acceptOnly(params, ['saltLength'], this.name);
    const saltLength = params.saltLength ?? HASHES[this.hash].bytes;
    const max = this.maxSaltBytes(key);
    if (!Number.isInteger(saltLength) || saltLength < 0 || saltLength > max) {
      throw new CofferError('MECHANISM_PARAM_INVALID', `${this.name} saltLength is 0 to ${max} bytes for this key`);
    }
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
  }

  async sign(privateKey: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'rsa', ['private'], this.name);
    const options = this.options(privateKey, params);
    checkDataLength(data);
    return signAsync(this.hash, data, options);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    const options = this.options(key, params);
    checkDataLength(data);
    // The modulus' length exactly (RFC 8017 §8.1.2 step 1): OpenSSL's PSS verification would read
    // a shorter signature as the same number, so one with a leading zero byte passes without it.
    if (!Buffer.isBuffer(signature) || signature.length !== modulusBytes(key)) return false;
    return verifyAsync(this.hash, data, options, signature).catch(() => false);
  }
}

/** SHA1_RSA_PKCS_PSS … SHA512_RSA_PKCS_PSS, one per hash. */
export const RSA_PSS_SIGNATURES: Readonly<Record<HashName, SignatureMechanism>> = perHash((hash) => new RsaPss(hash));
