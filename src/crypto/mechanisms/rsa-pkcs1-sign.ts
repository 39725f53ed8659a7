import { constants, type KeyObject } from 'node:crypto';
import { signAsync, verifyAsync } from '../async-sign.js';
import { HASHES, perHash } from '../hash.js';
import { checkDataLength } from '../limits.js';
import type { HashName, MechanismParams, SignatureMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly } from './asymmetric-params.js';

/**
 * RSASSA-PKCS1-v1_5 over a hash of the data (RFC 8017 §8.2; PKCS#11 CKM_SHA256_RSA_PKCS and
 * its siblings). Deterministic and still the most interoperable RSA signature. Runs on the
 * libuv pool.
 */
class RsaPkcs1Signature implements SignatureMechanism {
  readonly kind = 'signature' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'accumulate' as const;
  readonly name: string;

  constructor(private readonly hash: HashName) {
    this.name = `${HASHES[hash].pkcs11}_RSA_PKCS`;
  }

  async sign(privateKey: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'rsa', ['private'], this.name);
    acceptOnly(params, [], this.name);
    checkDataLength(data);
    return signAsync(this.hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    acceptOnly(params, [], this.name);
    checkDataLength(data);
    if (!Buffer.isBuffer(signature)) return false;
    const options = { key, padding: constants.RSA_PKCS1_PADDING };
    return verifyAsync(this.hash, data, options, signature).catch(() => false);
  }
}

/** SHA1_RSA_PKCS … SHA512_RSA_PKCS, one per hash. */
export const RSA_PKCS1_SIGNATURES: Readonly<Record<HashName, SignatureMechanism>> = perHash(
  (hash) => new RsaPkcs1Signature(hash),
);
