import type { KeyObject } from 'node:crypto';
import type { CipherMechanism, CipherResult, MechanismParams, PartStream } from '../types.js';
import { aesCipherName } from './aes-cipher-name.js';
import { runOnce, runStream, type Direction, type ModeSetup } from './aes-mode-cipher.js';
import { onlyParams } from './params.js';

/**
 * AES-ECB (NIST SP 800-38A §6.1) as PKCS#11 CKM_AES_ECB: no parameters, no padding, input in
 * whole blocks. Internal only, never in the mechanism registry (so never offered by the API):
 * equal plaintext blocks give equal ciphertext blocks, and ECB decrypt with a wrapping key
 * would undo an AES_KEY_WRAP blob block by block. The self-tests exercise it.
 */
class AesEcb implements CipherMechanism {
  readonly name = 'AES_ECB' as const;
  readonly kind = 'cipher' as const;
  readonly keyTypes = ['aes'] as const;
  readonly keyClasses = { encrypt: 'secret', decrypt: 'secret' } as const;
  /** No tag: a wrong key yields garbage, not an error. */
  readonly authenticated = false;

  async encrypt(key: KeyObject, plaintext: Buffer, params: MechanismParams): Promise<CipherResult> {
    return { output: runOnce(key, 'encrypt', plaintext, this.check(key, params)) };
  }

  async decrypt(key: KeyObject, ciphertext: Buffer, params: MechanismParams): Promise<Buffer> {
    return runOnce(key, 'decrypt', ciphertext, this.check(key, params));
  }

  begin(key: KeyObject, direction: Direction, params: MechanismParams): PartStream {
    return runStream(key, direction, this.check(key, params));
  }

  private check(key: KeyObject, params: MechanismParams): ModeSetup {
    onlyParams(params, [], this.name);
    return {
      mechanism: this.name,
      cipherName: aesCipherName(key, 'ecb', this.name),
      iv: null,
      padding: false,
      wholeBlocks: true,
    };
  }
}

export const aesEcb: CipherMechanism = new AesEcb();
