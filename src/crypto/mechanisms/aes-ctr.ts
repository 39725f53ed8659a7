import { randomBytes, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { AES_BLOCK_BYTES } from '../aes-block.js';
import type { CipherMechanism, CipherResult, MechanismParams, PartStream } from '../types.js';
import { aesCipherName } from './aes-cipher-name.js';
import { runOnce, runStream, type Direction, type ModeSetup } from './aes-mode-cipher.js';
import { onlyParams, requireIv } from './params.js';

const NAME = 'AES_CTR';
const COUNTER_BITS = { min: 1, max: 128, default: 128 } as const;
/** A node-made counter block counts in its low 32 bits from zero (as GCM's 96-bit nonce ‖ 32-bit counter). */
const NODE_COUNTER_BITS = 32;

/**
 * The initial counter block the node makes on encrypt: random, with the low
 * min(counterBits, 32) bits zero, so the counter has room for any input the limits allow and
 * the rest (at least 96 bits) is a fresh random nonce.
 */
function nodeCounterBlock(counterBits: number): Buffer {
  const block = randomBytes(AES_BLOCK_BYTES);
  for (let zero = Math.min(counterBits, NODE_COUNTER_BITS), index = AES_BLOCK_BYTES - 1; zero > 0; index -= 1) {
    const bits = Math.min(8, zero);
    block[index] = block[index]! & (0xff << bits) & 0xff;
    zero -= bits;
  }
  return block;
}

/** How many blocks the counter can still count before its low `bits` bits wrap to zero. */
function blocksBeforeWrap(iv: Buffer, bits: number): bigint {
  const counter = BigInt(`0x${iv.toString('hex')}`) & ((1n << BigInt(bits)) - 1n);
  return (1n << BigInt(bits)) - counter;
}

function checkCounterBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < COUNTER_BITS.min || bits > COUNTER_BITS.max) {
    throw new CofferError(
      'MECHANISM_PARAM_INVALID',
      `${NAME} counterBits is ${COUNTER_BITS.min} to ${COUNTER_BITS.max}`,
    );
  }
  return bits;
}

/**
 * AES-CTR (NIST SP 800-38A §6.5) as PKCS#11 CKM_AES_CTR: `iv` is the whole 16-byte initial
 * counter block (cb) and `counterBits` (ulCounterBits) how many of its low-order bits count.
 * On encrypt the node makes the initial counter block when none is given (nodeCounterBlock) and
 * returns it: a caller-chosen counter block repeated under a key turns encrypt into decrypt,
 * so a caller's is admitted only by the caller-IV rule. Decrypt takes the IV. Input that would
 * wrap the counter is refused (DATA_LEN_RANGE) rather than reuse keystream — SP 800-38A
 * Appendix B requires every counter block to be distinct.
 */
class AesCtr implements CipherMechanism {
  readonly name = NAME;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { encrypt: 'secret', decrypt: 'secret' } as const;
  /** No tag: a wrong key yields garbage, not an error. */
  readonly authenticated = false;
  readonly makesIv = true;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    const setup = this.check(key, 'encrypt', params);
    return { output: runOnce(key, 'encrypt', plaintext, setup), ...(setup.iv && { iv: setup.iv }) };
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    return runOnce(key, 'decrypt', ciphertext, this.check(key, 'decrypt', params));
  }

  begin(key: KeyObject, direction: Direction, params: MechanismParams): PartStream {
    return runStream(key, direction, this.check(key, direction, params));
  }

  private check(key: KeyObject, direction: Direction, params: MechanismParams): ModeSetup {
    onlyParams(params, ['iv', 'counterBits'], NAME);
    const bits = checkCounterBits(params.counterBits ?? COUNTER_BITS.default);
    const iv =
      direction === 'encrypt' && params.iv === undefined
        ? nodeCounterBlock(bits)
        : requireIv(params.iv, AES_BLOCK_BYTES, NAME);
    const available = blocksBeforeWrap(iv, bits);
    return {
      mechanism: NAME,
      cipherName: aesCipherName(key, 'ctr', NAME),
      iv,
      padding: false,
      wholeBlocks: false,
      checkTotal(totalBytes) {
        if (BigInt(Math.ceil(totalBytes / AES_BLOCK_BYTES)) > available) {
          throw new CofferError('DATA_LEN_RANGE', `${NAME} input would wrap the ${bits}-bit counter`);
        }
      },
    };
  }
}

export const aesCtr: CipherMechanism = new AesCtr();
