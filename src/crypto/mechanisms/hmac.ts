import { createHmac, type KeyObject } from 'node:crypto';
import { requireGenericSecretKey } from '../keys/generic-secret.js';
import { checkDataLength } from '../limits.js';
import { PartBudget } from '../multi-part.js';
import type { HashName, MechanismName, MechanismParams, PartStream, SignatureMechanism } from '../types.js';
import { macEqual } from './mac-equal.js';
import { onlyParams } from './params.js';

/**
 * HMAC (RFC 2104, FIPS 198-1) as PKCS#11 CKM_SHA*_HMAC: generic secret keys, no parameters,
 * the full-length MAC. One class; the mechanisms differ only by hash.
 */
class Hmac implements SignatureMechanism {
  readonly kind = 'signature' as const;
  readonly keyTypes = ['generic-secret'] as const;
  readonly keyClasses = { sign: 'secret', verify: 'secret' } as const;
  readonly multiPart = 'stream' as const;

  constructor(
    readonly name: MechanismName,
    private readonly hash: HashName,
  ) {}

  async sign(key: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    this.check(key, params);
    checkDataLength(data);
    return createHmac(this.hash, key).update(data).digest();
  }

  /** Constant-time comparison; a MAC of the wrong length is false. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    return macEqual(await this.sign(key, data, params), signature);
  }

  begin(key: KeyObject, params: MechanismParams): PartStream {
    this.check(key, params);
    const hmac = createHmac(this.hash, key);
    const budget = new PartBudget();
    return {
      update(chunk) {
        budget.take(chunk);
        hmac.update(chunk);
        return Buffer.alloc(0);
      },
      final() {
        budget.finish();
        return hmac.digest();
      },
    };
  }

  private check(key: KeyObject, params: MechanismParams): void {
    requireGenericSecretKey(key, this.name);
    onlyParams(params, [], this.name);
  }
}

export const sha1Hmac: SignatureMechanism = new Hmac('SHA1_HMAC', 'sha1');
export const sha224Hmac: SignatureMechanism = new Hmac('SHA224_HMAC', 'sha224');
export const sha256Hmac: SignatureMechanism = new Hmac('SHA256_HMAC', 'sha256');
export const sha384Hmac: SignatureMechanism = new Hmac('SHA384_HMAC', 'sha384');
export const sha512Hmac: SignatureMechanism = new Hmac('SHA512_HMAC', 'sha512');

export const HMAC_MECHANISMS: readonly SignatureMechanism[] = [
  sha1Hmac,
  sha224Hmac,
  sha256Hmac,
  sha384Hmac,
  sha512Hmac,
];
