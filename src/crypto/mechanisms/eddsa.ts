import type { KeyObject } from 'node:crypto';
import { signAsync, verifyAsync } from '../async-sign.js';
import { checkDataLength } from '../limits.js';
import type { MechanismParams, SignatureMechanism } from '../types.js';
import { requireKey } from './key-requirements.js';
import { acceptOnly } from './asymmetric-params.js';

/**
 * CKM_EDDSA with Ed25519 in its pure form (RFC 8032 §5.1): the message itself is signed, so
 * there is no multi-part form. No parameters: Ed25519ctx and Ed25519ph are not offered.
 * node's callback form runs on the libuv pool.
 */
class Eddsa implements SignatureMechanism {
  readonly name = 'EDDSA' as const;
  readonly kind = 'signature' as const;
  readonly keyTypes = ['ec-edwards'] as const;
  readonly keyClasses = { sign: 'private', verify: 'public' } as const;
  readonly multiPart = 'none' as const;

  async sign(privateKey: KeyObject, data: Buffer, params: MechanismParams): Promise<Buffer> {
    requireKey(privateKey, 'ed25519', ['private'], this.name);
    acceptOnly(params, [], this.name);
    checkDataLength(data);
    return signAsync(null, data, privateKey);
  }

  /** False, never an error, for a signature that is malformed or does not verify. */
  async verify(key: KeyObject, data: Buffer, signature: Buffer, params: MechanismParams): Promise<boolean> {
    requireKey(key, 'ed25519', ['public', 'private'], this.name);
    acceptOnly(params, [], this.name);
    checkDataLength(data);
    if (!Buffer.isBuffer(signature)) return false;
    return verifyAsync(null, data, key, signature).catch(() => false);
  }
}

export const eddsa: SignatureMechanism = new Eddsa();
