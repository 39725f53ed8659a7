import { createCipheriv, createDecipheriv, type Cipher, type Decipher, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { AES_BLOCK_BYTES } from '../aes-block.js';
import { checkDataLength, MAX_DATA_BYTES } from '../limits.js';
import { PartBudget } from '../multi-part.js';
import type { MechanismName, PartStream } from '../types.js';

export type Direction = 'encrypt' | 'decrypt';

/** What tells the unauthenticated AES modes (ECB, CBC, CBC_PAD, CTR) apart, after the check step. */
export interface ModeSetup {
  readonly mechanism: MechanismName;
  /** OpenSSL cipher name, from aesCipherName. */
  readonly cipherName: string;
  readonly iv: Buffer | null;
  /** PKCS#7 padding (CBC_PAD). */
  readonly padding: boolean;
  /** The input must be whole blocks: ECB and CBC without padding, and CBC_PAD ciphertext. */
  readonly wholeBlocks: boolean;
  /** Sees the total input before it is processed; throws to refuse it (CTR's counter bound). */
  readonly checkTotal?: (totalBytes: number) => void;
}

function open(key: KeyObject, direction: Direction, setup: ModeSetup): Cipher | Decipher {
  const cipher =
    direction === 'encrypt'
      ? createCipheriv(setup.cipherName, key, setup.iv)
      : createDecipheriv(setup.cipherName, key, setup.iv);
  return cipher.setAutoPadding(setup.padding);
}

function wholeBlocksRequired(setup: ModeSetup, direction: Direction): boolean {
  return setup.wholeBlocks || (setup.padding && direction === 'decrypt');
}

/** Length rules that can only be judged on the whole input, checked before OpenSSL's final. */
function checkFinalLength(setup: ModeSetup, direction: Direction, total: number): void {
  if (wholeBlocksRequired(setup, direction) && total % AES_BLOCK_BYTES !== 0) {
    throw new CofferError('DATA_LEN_RANGE', `${setup.mechanism} input must be a multiple of ${AES_BLOCK_BYTES} bytes`);
  }
  if (setup.padding && direction === 'decrypt' && total === 0) {
    throw new CofferError('DATA_LEN_RANGE', `${setup.mechanism} ciphertext is at least one block`);
  }
}

/** OpenSSL's final; a padding failure becomes ENCRYPTED_DATA_INVALID. */
function finish(cipher: Cipher | Decipher, setup: ModeSetup): Buffer {
  try {
    return cipher.final();
  } catch (error) {
    throw new CofferError('ENCRYPTED_DATA_INVALID', `${setup.mechanism} padding is invalid`, { cause: error });
  }
}

/** Single-part: the whole input at once, within the single-part limit (one block more for CBC_PAD ciphertext). */
export function runOnce(key: KeyObject, direction: Direction, data: Buffer, setup: ModeSetup): Buffer {
  const padBlock = setup.padding && direction === 'decrypt' ? AES_BLOCK_BYTES : 0;
  checkDataLength(data, MAX_DATA_BYTES + padBlock);
  checkFinalLength(setup, direction, data.length);
  setup.checkTotal?.(data.length);
  const cipher = open(key, direction, setup);
  const head = cipher.update(data);
  try {
    return Buffer.concat([head, finish(cipher, setup)]);
  } catch (error) {
    // Plaintext of a ciphertext whose padding failed is not returned: wipe it.
    head.fill(0);
    throw error;
  }
}

/** Multi-part: output as whole blocks become available; length rules are judged at final. */
export function runStream(key: KeyObject, direction: Direction, setup: ModeSetup): PartStream {
  const cipher = open(key, direction, setup);
  const budget = new PartBudget();
  return {
    ...(setup.iv ? { iv: setup.iv } : {}),
    update(chunk) {
      setup.checkTotal?.(budget.bytes + chunk.length);
      budget.take(chunk);
      return cipher.update(chunk);
    },
    final() {
      budget.finish();
      checkFinalLength(setup, direction, budget.bytes);
      return finish(cipher, setup);
    },
  };
}
