import type { KeyObject } from 'node:crypto';
import { signAsync, verifyAsync } from '../async-sign.js';
import { HASHES, perHash } from '../hash.js';
import { checkDataLength } from '../limits.js';
import type { HashName, MechanismParams, SignatureMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, signatureEncodingParam } from './asymmetric-params.js';

/** Node's names for the two encodings. */
const DSA_ENCODINGS = { p1363: 'ieee-p1363', der: 'der' } as const;

/**
 * ECDSA over a hash of the data (PKCS#11 CKM_ECDSA_SHA256 and its siblings) on every curve
 * Coffer has; r‖s by default, as PKCS#11 returns it, or DER as OpenSSL does. Libuv pool.
 */
class EcdsaWithHash implements SignatureMechanism {
  readonly kind = 'signature' as const;
  readonly keyTypes = ['ec'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'accumulate' as const;
  readonly name: string;

  constructor(private readonly hash: HashName) {
    this.name = `ECDSA_${HASHES[hash].pkcs11}`;
  }

  private dsaEncoding(params: MechanismParams): 'ieee-p1363' | 'der' {
    acceptOnly(params, ['signatureEncoding'], this.name);
    return DSA_ENCODINGS[signatureEncodingParam(params, this.name)];
  }

  async sign(privateKey: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'ec', ['private'], this.name);
    const dsaEncoding = this.dsaEncoding(params);
    checkDataLength(data);
    return signAsync(this.hash, data, { key: privateKey, dsaEncoding });
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'ec', ['public', 'private'], this.name);
    const dsaEncoding = this.dsaEncoding(params);
    checkDataLength(data);
    if (!Buffer.isBuffer(signature)) return false;
    return verifyAsync(this.hash, data, { key, dsaEncoding }, signature).catch(() => false);
  }
}

/** ECDSA_SHA1 … ECDSA_SHA512, one per hash. */
export const ECDSA_SIGNATURES: Readonly<Record<HashName, SignatureMechanism>> = perHash(
  (hash) => new EcdsaWithHash(hash),
);
