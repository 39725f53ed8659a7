import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';
import { checkDataLength, MAX_DATA_BYTES } from '../limits.js';
import type { MechanismName, MechanismParams, WrapMechanism } from '../types.js';
import { aesCipherName, type AesMode } from './aes-cipher-name.js';
import { onlyParams } from './params.js';

/** Key wrap works on 64-bit semiblocks (SP 800-38F §5.1). */
const SEMIBLOCK = 8;

/** What tells RFC 3394 and RFC 5649 apart. */
interface KeyWrapVariant {
  readonly name: MechanismName;
  readonly mode: Extract<AesMode, 'wrap' | 'wrap-pad'>;
  /** The default initial value: RFC 3394 §2.2.3.1 IV, RFC 5649 §3 Alternative IV (AIV) prefix. */
  readonly initialValue: Buffer;
  /** Key material the variant can wrap (bytes). */
  accepts(length: number): boolean;
  readonly materialRule: string;
  /** The shortest wrapped form: the smallest material plus the integrity semiblock. */
  readonly minWrapped: number;
}

const VARIANTS = {
  AES_KEY_WRAP: {
    name: 'AES_KEY_WRAP',
    mode: 'wrap',
    initialValue: Buffer.from('a6a6a6a6a6a6a6a6', 'hex'),
    accepts: (length) => length >= 16 && length % 8 === 0,
    materialRule: 'a multiple of 8 bytes, at least 16',
    minWrapped: 24,
  },
  AES_KEY_WRAP_PAD: {
    name: 'AES_KEY_WRAP_PAD',
    mode: 'wrap-pad',
    initialValue: Buffer.from('a65959a6', 'hex'),
    accepts: (length) => length >= 1,
    materialRule: 'at least 1 byte',
    minWrapped: 16,
  },
} as const satisfies Record<string, KeyWrapVariant>;

/**
 * AES Key Wrap, PKCS#11 CKM_AES_KEY_WRAP (RFC 3394, NIST SP 800-38F KW) and
 * CKM_AES_KEY_WRAP_PAD (RFC 5649, SP 800-38F KWP), by OpenSSL's id-aes*-wrap ciphers. Both use
 * the RFC's default initial value and take no parameters. The wrapped form carries a 64-bit
 * integrity check: unwrap refuses altered input with ENCRYPTED_DATA_INVALID.
 */
class AesKeyWrap implements WrapMechanism {
  readonly kind = 'wrap' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { wrap: 'secret', unwrap: 'secret' } as const;
  readonly name: MechanismName;

  constructor(private readonly variant: KeyWrapVariant) {
    this.name = variant.name;
  }

  async wrap(wrappingKey: KeyObject, material: Buffer, params: MechanismParams): Promise<Buffer> {
    const cipherName = this.check(wrappingKey, params);
    checkDataLength(material);
    if (!this.variant.accepts(material.length)) {
      throw new CofferError('DATA_LEN_RANGE', `${this.name} wraps ${this.variant.materialRule}`);
    }
    const cipher = createCipheriv(cipherName, wrappingKey, this.variant.initialValue);
    return Buffer.concat([cipher.update(material), cipher.final()]);
  }

  async unwrap(unwrappingKey: KeyObject, wrapped: Buffer, params: MechanismParams): Promise<Buffer> {
    const cipherName = this.check(unwrappingKey, params);
    // The wrapped form is the material (padded to 8 bytes) plus the 8-byte integrity block.
    checkDataLength(wrapped, MAX_DATA_BYTES + 2 * SEMIBLOCK);
    if (wrapped.length < this.variant.minWrapped || wrapped.length % SEMIBLOCK !== 0) {
      throw new CofferError(
        'DATA_LEN_RANGE',
        `${this.name} wrapped keys are a multiple of ${SEMIBLOCK} bytes, at least ${this.variant.minWrapped}`,
      );
    }
    const decipher = createDecipheriv(cipherName, unwrappingKey, this.variant.initialValue);
    let material: Buffer | undefined;
    try {
      // OpenSSL checks the integrity value in update(), so both calls sit inside the try.
      material = decipher.update(wrapped);
      return Buffer.concat([material, decipher.final()]);
    } catch (error) {
      material?.fill(0);
      throw new CofferError('ENCRYPTED_DATA_INVALID', `${this.name} integrity check failed`, { cause: error });
    }
  }

  private check(key: KeyObject, params: MechanismParams): string {
    onlyParams(params, [], this.name);
    return aesCipherName(key, this.variant.mode, this.name);
  }
}

export const aesKeyWrap: WrapMechanism = new AesKeyWrap(VARIANTS.AES_KEY_WRAP);
export const aesKeyWrapPad: WrapMechanism = new AesKeyWrap(VARIANTS.AES_KEY_WRAP_PAD);
