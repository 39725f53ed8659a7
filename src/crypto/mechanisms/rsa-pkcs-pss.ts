import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { HASHES, HASH_NAMES } from '../hash.js';
import { signPssDigest, verifyPssDigest, type PssChoice } from '../native/digest-sign.js';
import type { MechanismParams, SignatureMechanism } from '../types.js';
import { modulusBytes, requireKey } from './key-requirements.js';
import { acceptOnly, hashParam } from './asymmetric-params.js';

/**
 * CKM_RSA_PKCS_PSS: RSASSA-PSS (RFC 8017 §9.1) over a digest the caller made, as TLS 1.3
 * through OpenSSL's pkcs11 engine signs its handshakes. The parameters are CK_RSA_PKCS_PSS_PARAMS':
 * `hash` (hashAlg: the digest's hash, required, and the digest must be its length), `mgf1Hash`
 * (mgf; default `hash`) and `saltLength` (sLen; default the hash's length). OpenSSL pads and
 * signs (EVP_PKEY_sign through Coffer's native addon, on the libuv pool); verification requires
 * exactly the salt length given, as PKCS#11 does.
 */
class RsaPkcsPss implements SignatureMechanism {
  readonly name = 'RSA_PKCS_PSS' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['rsa'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'none' as const;

  /** The check step: the three parameters against the hash table and the key's size. */
  private choice(key: KeyObject, params: MechanismParams): PssChoice {
    acceptOnly(params, ['hash', 'mgf1Hash', 'saltLength'], this.name);
    if (params.hash === undefined) {
      throw new CofferError('MECHANISM_PARAM_INVALID', `${this.name} needs hash (${HASH_NAMES.join(', ')})`);
    }
    const hash = hashParam(params, 'sha256', this.name);
    const mgf1Hash = hashParam(params, hash, this.name, 'mgf1Hash');
    const saltLength = params.saltLength ?? HASHES[hash].bytes;
    // emLen − hLen − 2, emLen = ⌈(modBits − 1) / 8⌉ (RFC 8017 §9.1.1 step 3).
    const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    const max = Math.ceil((modulusBits - 1) / 8) - HASHES[hash].bytes - 2;
    if (!Number.isInteger(saltLength) || saltLength < 0 || saltLength > max) {
      throw new CofferError('MECHANISM_PARAM_INVALID', `${this.name} saltLength is 0 to ${max} bytes for this key`);
    }
    return { hash, mgf1Hash, saltLength };
  }

  private checkDigest(digest: Buffer, choice: PssChoice): void {
    const bytes = HASHES[choice.hash].bytes;
    if (!Buffer.isBuffer(digest) || digest.length !== bytes) {
      throw new CofferError('DATA_LEN_RANGE', `${this.name} signs a ${choice.hash} digest of ${bytes} bytes`);
    }
  }

  async sign(privateKey: KeyObject, digest: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'rsa', ['private'], this.name);
    const choice = this.choice(privateKey, params);
    this.checkDigest(digest, choice);
    return signPssDigest(privateKey, digest, choice);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, digest: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'rsa', ['public', 'private'], this.name);
    const choice = this.choice(key, params);
    this.checkDigest(digest, choice);
    if (!Buffer.isBuffer(signature) || signature.length !== modulusBytes(key)) return false;
    return verifyPssDigest(key, digest, signature, choice);
  }
}

export const rsaPkcsPss: SignatureMechanism = new RsaPkcsPss();
