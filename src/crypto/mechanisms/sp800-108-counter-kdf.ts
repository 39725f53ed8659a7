import type { KeyObject } from 'node:crypto';
import { checkDerivedLength } from '../kdf/derive-length.js';
import { kdfCounterHmac, sp800108FixedInput } from '../kdf/sp800-108.js';
import type { DeriveMechanism, MechanismParams } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, bufferParam, hashParam } from './asymmetric-params.js';

/** Label and Context are short identifiers, not bulk data. */
const MAX_LABEL_BYTES = 1024;

/**
 * SP800_108_COUNTER_KDF (NIST SP 800-108r1 §4.1; PKCS#11 v3 CKM_SP800_108_COUNTER_KDF with an
 * HMAC PRF): `hash` (default sha256), `label`, `context`; fixed input Label ‖ 0x00 ‖ Context ‖ [L]₃₂.
 * Synchronous: at most 40 HMAC blocks.
 */
class Sp800108CounterKdf implements DeriveMechanism {
  readonly name = 'SP800_108_COUNTER_KDF' as const;
  readonly kind = 'derive' as const;
  readonly keyTypes = ['generic-secret'] as const;
  readonly keyClasses = { derive: 'secret' } as const;

  async derive(baseKey: KeyObject, params: MechanismParams, lengthBytes: number): Promise<Buffer> {
    requireKey(baseKey, 'secret', ['secret'], this.name);
    acceptOnly(params, ['hash', 'label', 'context'], this.name);
    const hash = hashParam(params, 'sha256', this.name);
    const label = bufferParam(params, 'label', MAX_LABEL_BYTES, this.name) ?? Buffer.alloc(0);
    const context = bufferParam(params, 'context', MAX_LABEL_BYTES, this.name) ?? Buffer.alloc(0);
    checkDerivedLength(lengthBytes, this.name);
    return kdfCounterHmac(hash, baseKey, sp800108FixedInput(label, context, lengthBytes), lengthBytes);
  }
}

export const sp800108CounterKdf: DeriveMechanism = new Sp800108CounterKdf();
