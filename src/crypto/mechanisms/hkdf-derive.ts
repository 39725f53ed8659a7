import type { KeyObject } from 'node:crypto';
import { checkDerivedLength } from '../kdf/derive-length.js';
import { hkdfAsync } from '../kdf/hkdf-async.js';
import type { DeriveMechanism, MechanismParams } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly, bufferParam, hashParam } from './asymmetric-params.js';

/** node refuses an HKDF info over 1024 bytes; salts are bounded the same way. */
export const HKDF_MAX_PARAM_BYTES = 1024;

/**
 * HKDF_DERIVE (RFC 5869 extract-then-expand; PKCS#11 v3 CKM_HKDF_DERIVE) from a generic-secret
 * base key: `hash` (default sha256), optional `salt` and `info`. On the libuv pool.
 */
class HkdfDerive implements DeriveMechanism {
  readonly name = 'HKDF_DERIVE' as const;
  readonly kind = 'derive' as const;
  readonly keyTypes = ['generic-secret'] as const;
  readonly keyClasses = { derive: 'secret' } as const;

  async derive(baseKey: KeyObject, params: MechanismParams, lengthBytes: number): Promise<Buffer> {
    requireKey(baseKey, 'secret', ['secret'], this.name);
    acceptOnly(params, ['hash', 'salt', 'info'], this.name);
    const hash = hashParam(params, 'sha256', this.name);
    const salt = bufferParam(params, 'salt', HKDF_MAX_PARAM_BYTES, this.name) ?? Buffer.alloc(0);
    const info = bufferParam(params, 'info', HKDF_MAX_PARAM_BYTES, this.name) ?? Buffer.alloc(0);
    checkDerivedLength(lengthBytes, this.name);
    return hkdfAsync(hash, baseKey, salt, info, lengthBytes);
  }
}

export const hkdfDerive: DeriveMechanism = new HkdfDerive();
