import type { KeyObject } from 'node:crypto';
import { AES_BLOCK_BYTES } from '../aes-block.js';
import type { CipherMechanism, CipherResult, MechanismName, MechanismParams, PartStream } from '../types.js';
import { aesCipherName } from './aes-cipher-name.js';
import { runOnce, runStream, type Direction, type ModeSetup } from './aes-mode-cipher.js';
import { onlyParams, requireIv } from './params.js';

/**
 * AES-CBC (NIST SP 800-38A §6.2) as PKCS#11 CKM_AES_CBC (no padding: the input is whole blocks)
 * and CKM_AES_CBC_PAD (PKCS#7 padding). The only parameter is the 16-byte IV, and it is
 * required: PKCS#11 makes the IV the mechanism parameter, and CloudHSM generates IVs only for
 * AES-GCM, so Coffer never makes a CBC IV silently. A caller that wants a random IV draws one
 * (POST /v1/crypto/random) and keeps it with the ciphertext.
 */
class AesCbc implements CipherMechanism {
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { encrypt: 'secret', decrypt: 'secret' } as const;
  /** No tag: a wrong key yields garbage, not an error. */
  readonly authenticated = false;

  constructor(
    readonly name: MechanismName,
    private readonly padding: boolean,
  ) {}

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    const setup = this.check(key, params);
    return { output: runOnce(key, 'encrypt', plaintext, setup), iv: setup.iv ?? undefined };
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    return runOnce(key, 'decrypt', ciphertext, this.check(key, params));
  }

  begin(key: KeyObject, direction: Direction, params: MechanismParams): PartStream {
    return runStream(key, direction, this.check(key, params));
  }

  private check(key: KeyObject, params: MechanismParams): ModeSetup {
    onlyParams(params, ['iv'], this.name);
    return {
      mechanism: this.name,
      cipherName: aesCipherName(key, 'cbc', this.name),
      iv: requireIv(params.iv, AES_BLOCK_BYTES, this.name),
      padding: this.padding,
      wholeBlocks: !this.padding,
    };
  }
}

export const aesCbc: CipherMechanism = new AesCbc('AES_CBC', false);
export const aesCbcPad: CipherMechanism = new AesCbc('AES_CBC_PAD', true);
