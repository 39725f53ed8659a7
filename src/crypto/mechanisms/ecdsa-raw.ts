import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { MAX_DIGEST_BYTES } from '../hash.js';
import { ecCurveInfo, publicPoint, withPrivateScalar } from '../keys/ec-key-bytes.js';
import type { MechanismParams, SignatureMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, signatureEncodingParam, type SignatureEncoding } from './asymmetric-params.js';

/** noble's names for the encodings. */
const NOBLE_FORMATS = { p1363: 'compact', der: 'der' } as const;

/**
 * PKCS#11 takes a digest of any length and ECDSA uses its leftmost bits up to the order's size
 * (SEC 1 §4.1.3 step 5; noble's bits2int). Coffer bounds it to a real digest: 1 byte up to
 * SHA-512's 64, so a caller cannot pass bulk data here by mistake.
 */
function checkDigest(digest: Buffer): void {
  if (!Buffer.isBuffer(digest) || digest.length === 0 || digest.length > MAX_DIGEST_BYTES) {
    throw new CofferError('DATA_LEN_RANGE', `ECDSA signs a digest of 1 to ${MAX_DIGEST_BYTES} bytes`);
  }
}

/**
 * CKM_ECDSA: the input is the caller's digest. node:crypto always hashes what it signs, so the
 * audited @noble/curves signs and verifies with prehash off. Signing is hedged (RFC 6979 nonce
 * plus fresh randomness) and low-S; verification also accepts the high-S signatures OpenSSL makes.
 * Runs on the event loop: one scalar multiplication, bounded input.
 */
class EcdsaRaw implements SignatureMechanism {
  readonly name = 'ECDSA' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['ec'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'none' as const;

  private encoding(params: MechanismParams): SignatureEncoding {
    acceptOnly(params, ['signatureEncoding'], this.name);
    return signatureEncodingParam(params, this.name);
  }

  async sign(privateKey: KeyObject, digest: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'ec', ['private'], this.name);
    const format = NOBLE_FORMATS[this.encoding(params)];
    checkDigest(digest);
    const signature = withPrivateScalar(privateKey, (scalar, curve) =>
      curve.noble.sign(digest, scalar, { prehash: false, extraEntropy: true, format }),
    );
    return Buffer.from(signature);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, digest: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'ec', ['public', 'private'], this.name);
    const format = NOBLE_FORMATS[this.encoding(params)];
    checkDigest(digest);
    if (!Buffer.isBuffer(signature)) return false;
    const curve = ecCurveInfo(key);
    try {
      return curve.noble.verify(signature, digest, publicPoint(key), { prehash: false, lowS: false, format });
    } catch {
      return false;
    }
  }
}

export const ecdsaRaw: SignatureMechanism = new EcdsaRaw();
