import type { KeyObject } from 'node:crypto';
import { cmac } from '@noble/ciphers/aes.js';
import { checkDataLength } from '../limits.js';
import { PartBudget } from '../multi-part.js';
import type { MechanismParams, PartStream, SignatureMechanism } from '../types.js';
import { requireAesKey } from './key-checks.js';
import { macEqual } from './mac-equal.js';
import { onlyParams } from './params.js';

const NAME = 'AES_CMAC';

/** The incremental MAC @noble/ciphers' cmac.create returns. */
type CmacState = ReturnType<typeof cmac.create>;

/**
 * Starts a CMAC over an AES key. Node has no CMAC, so the audited @noble/ciphers cmac does the
 * work; it needs the key bytes, which exist only for this call: noble expands them into round
 * keys at once (and wipes those in digest()), and the export is zeroed before returning.
 */
function startCmac(key: KeyObject): CmacState {
  const bytes = key.export();
  try {
    return cmac.create(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493) as PKCS#11 CKM_AES_CMAC: secret AES keys, no
 * parameters, the full 16-byte MAC. noble's CMAC is incremental, so begin() truly streams.
 */
class AesCmac implements SignatureMechanism {
  readonly name = NAME;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { sign: 'secret', verify: 'secret' } as const;
  readonly multiPart = 'stream' as const;

  async sign(key: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    this.check(key, params);
    checkDataLength(data);
    return Buffer.from(startCmac(key).update(data).digest());
  }

  /** Constant-time comparison; a MAC of the wrong length is false. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    return macEqual(await this.sign(key, data, params), signature);
  }

  begin(key: KeyObject, params: MechanismParams): PartStream {
    this.check(key, params);
    const state = startCmac(key);
    const budget = new PartBudget();
    return {
      update(chunk) {
        budget.take(chunk);
        state.update(chunk);
        return Buffer.alloc(0);
      },
      final() {
        budget.finish();
        return Buffer.from(state.digest());
      },
    };
  }

  private check(key: KeyObject, params: MechanismParams): void {
    requireAesKey(key, NAME);
    onlyParams(params, [], NAME);
  }
}

export const aesCmac: SignatureMechanism = new AesCmac();
