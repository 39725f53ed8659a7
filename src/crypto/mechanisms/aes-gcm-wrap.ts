import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import type { MechanismParams, WrapMechanism } from '../types.js';
import { aesGcm } from './aes-gcm.js';
import { checkGcmParams, GCM } from './aes-gcm-params.js';
import { refuseParam, requireAesKey } from './key-checks.js';

const NAME = 'AES_GCM';

/**
 * AES-GCM as a key wrapping mechanism (CloudHSM "key wrap aes-gcm"): the wrapped key is
 * iv‖ciphertext‖tag, so it carries everything unwrap needs but the key, the AAD and the tag
 * length. The node always makes the IV, as CloudHSM does: a caller-chosen IV repeated under a
 * wrapping key would expose the GCM authentication key, and the caller never needs to choose
 * it because the IV travels in the wrapped bytes. So `iv` is refused on both directions.
 */
class AesGcmWrap implements WrapMechanism {
  readonly name = NAME;
  readonly kind = 'wrap' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { wrap: 'secret', unwrap: 'secret' } as const;

  async wrap(wrappingKey: KeyObject, material: Buffer, params: MechanismParams): Promise<Buffer> {
    refuseParam(params.iv !== undefined, 'iv (the node makes it)', NAME);
    const { output, iv } = await aesGcm.encrypt(wrappingKey, material, params);
    if (iv === undefined) throw new CofferError('INTERNAL_ERROR', 'AES_GCM returned no IV');
    return Buffer.concat([iv, output]);
  }

  async unwrap(unwrappingKey: KeyObject, wrapped: Buffer, params: MechanismParams): Promise<Buffer> {
    requireAesKey(unwrappingKey, NAME);
    refuseParam(params.iv !== undefined, 'iv (it is part of the wrapped key)', NAME);
    const iv = wrapped.subarray(0, GCM.ivBytes);
    const { tagBytes } = checkGcmParams({ ...params, iv: Buffer.alloc(GCM.ivBytes) });
    if (wrapped.length < GCM.ivBytes + tagBytes) {
      throw new CofferError('ENCRYPTED_DATA_INVALID', `${NAME} wrapped keys are at least iv and tag long`);
    }
    return aesGcm.decrypt(unwrappingKey, wrapped.subarray(GCM.ivBytes), { ...params, iv: Buffer.from(iv) });
  }
}

export const aesGcmWrap: WrapMechanism = new AesGcmWrap();
