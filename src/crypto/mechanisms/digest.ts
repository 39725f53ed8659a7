import { createHash } from 'node:crypto';
import { checkDataLength } from '../limits.js';
import { PartBudget } from '../multi-part.js';
import type { DigestMechanism, HashName, MechanismName, PartStream } from '../types.js';

/** Message digests (FIPS 180-4) as PKCS#11 CKM_SHA_1, CKM_SHA224 …: no key, no parameters. */
class Digest implements DigestMechanism {
  readonly kind = 'digest' as const;
  readonly keyTypes = [] as const;

  constructor(
    readonly name: MechanismName,
    private readonly hash: HashName,
  ) {}

  async digest(data: Buffer): Promise<Buffer> {
    checkDataLength(data);
    return createHash(this.hash).update(data).digest();
  }

  begin(): PartStream {
    const hash = createHash(this.hash);
    const budget = new PartBudget();
    return {
      update(chunk) {
        budget.take(chunk);
        hash.update(chunk);
        return Buffer.alloc(0);
      },
      final() {
        budget.finish();
        return hash.digest();
      },
    };
  }
}

export const sha1Digest: DigestMechanism = new Digest('SHA_1', 'sha1');
export const sha224Digest: DigestMechanism = new Digest('SHA224', 'sha224');
export const sha256Digest: DigestMechanism = new Digest('SHA256', 'sha256');
export const sha384Digest: DigestMechanism = new Digest('SHA384', 'sha384');
export const sha512Digest: DigestMechanism = new Digest('SHA512', 'sha512');

export const DIGEST_MECHANISMS: readonly DigestMechanism[] = [
  sha1Digest,
  sha224Digest,
  sha256Digest,
  sha384Digest,
  sha512Digest,
];
