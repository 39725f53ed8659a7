import type { KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { AES_BLOCK_BYTES } from '../aes-block.js';
import type { CipherMechanism, CipherResult, MechanismParams, PartStream } from '../types.js';
import { aesCipherName } from './aes-cipher-name.js';
import { runOnce, runStream, type Direction, type ModeSetup } from './aes-mode-cipher.js';
import { onlyParams, requireIv } from './params.js';

const NAME = 'AES_CTR';
const COUNTER_BITS = { min: 1, max: 128, default: 128 } as const;

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
 * The IV is required, never made silently: counter blocks must never repeat under a key, and
 * only the caller knows which it has used (CloudHSM makes IVs only for AES-GCM). Input that
 * would wrap the counter is refused (DATA_LEN_RANGE) rather than reuse keystream — SP 800-38A
 * Appendix B requires every counter block to be distinct.
 */
class AesCtr implements CipherMechanism {
  readonly name = NAME;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { encrypt: 'secret', decrypt: 'secret' } as const;
  /** No tag: a wrong key yields garbage, not an error. */
  readonly authenticated = false;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    const setup = this.check(key, params);
    return { output: runOnce(key, 'encrypt', plaintext, setup), iv: params.iv };
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    return runOnce(key, 'decrypt', ciphertext, this.check(key, params));
  }

  begin(key: KeyObject, direction: Direction, params: MechanismParams): PartStream {
    return runStream(key, direction, this.check(key, params));
  }

  private check(key: KeyObject, params: MechanismParams): ModeSetup {
    onlyParams(params, ['iv', 'counterBits'], NAME);
    const iv = requireIv(params.iv, AES_BLOCK_BYTES, NAME);
    const bits = checkCounterBits(params.counterBits ?? COUNTER_BITS.default);
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
