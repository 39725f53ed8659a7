import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { PartBudget } from '../multi-part.js';
import type { PartStream } from '../types.js';
import { gcmCipherName, type GcmParams } from './aes-gcm-params.js';

/** Multi-part AES-GCM encryption: ciphertext as it comes, the tag appended at final (as single-part). */
export function gcmEncryptStream(key: KeyObject, params: GcmParams): PartStream {
  const cipher = createCipheriv(gcmCipherName(key), key, params.iv, { authTagLength: params.tagBytes });
  cipher.setAAD(params.aad);
  const budget = new PartBudget();
  return {
    iv: params.iv,
    update(chunk) {
      budget.take(chunk);
      return cipher.update(chunk);
    },
    final() {
      budget.finish();
      return Buffer.concat([cipher.final(), cipher.getAuthTag()]);
    },
  };
}

/**
 * Multi-part AES-GCM decryption of ciphertext‖tag. The parts do not say where the tag starts,
 * so the last tagBytes bytes seen are always held back; at final they are the tag. Plaintext is
 * held too and returned only once the tag verifies: unauthenticated plaintext never leaves (the
 * PartBudget bounds what is held). update() therefore returns an empty Buffer.
 */
export function gcmDecryptStream(key: KeyObject, params: GcmParams): PartStream {
  const decipher = createDecipheriv(gcmCipherName(key), key, params.iv, { authTagLength: params.tagBytes });
  decipher.setAAD(params.aad);
  const budget = new PartBudget();
  const held: Buffer[] = [];
  let tail = Buffer.alloc(0);
  const wipe = (): void => held.forEach((part) => part.fill(0));
  return {
    update(chunk) {
      budget.take(chunk);
      const joined = Buffer.concat([tail, chunk]);
      const split = Math.max(0, joined.length - params.tagBytes);
      held.push(decipher.update(joined.subarray(0, split)));
      tail = Buffer.from(joined.subarray(split));
      return Buffer.alloc(0);
    },
    final() {
      budget.finish();
      if (tail.length < params.tagBytes) {
        wipe();
        throw new CofferError('ENCRYPTED_DATA_INVALID', 'input is shorter than the tag');
      }
      decipher.setAuthTag(tail);
      try {
        held.push(decipher.final());
      } catch {
        wipe();
        throw new CofferError('ENCRYPTED_DATA_INVALID', 'authentication tag mismatch');
      }
      const plaintext = Buffer.concat(held);
      wipe();
      return plaintext;
    },
  };
}
