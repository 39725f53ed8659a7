import { randomFill, type KeyObject } from 'node:crypto';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { CipherMechanism, CipherResult, MechanismParams, SignatureMechanism } from '../crypto/types.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { LoadedKey } from './key-repository.js';
import type { Admission } from './key-use-gate.js';
import type { KeyVersions } from './key-versions.js';

export const MAX_RANDOM_BYTES = 65_536;

/** A key the gate admitted for a cipher or signature use, with its mechanism. */
export type CipherKey = Admission<CipherMechanism>;
export type SignatureKey = Admission<SignatureMechanism>;

/**
 * Using keys the gate has admitted (key-use-gate.ts: visibility, usage, state, dates, quorum,
 * counting are all done). Encryption and signing use a key's newest version and say which;
 * decryption and verification use the version asked for, or try every version newest first
 * where the mechanism can tell a wrong key.
 */
export class CryptoService {
  constructor(private readonly versions: Pick<KeyVersions, 'load'>) {}

  async encrypt(
    { loaded, mech }: CipherKey,
    plaintext: Buffer,
    params: MechanismParams,
  ): Promise<CipherResult & { keyVersion: number }> {
    return { ...(await mech.encrypt(loaded.key, plaintext, params)), keyVersion: loaded.record.version };
  }

  async decrypt(
    { loaded, mech }: CipherKey,
    ciphertext: Buffer,
    params: MechanismParams,
    keyVersion?: number,
  ): Promise<Buffer> {
    return this.firstVersion(loaded, keyVersion, mech.authenticated, 'ENCRYPTED_DATA_INVALID', async (key) =>
      mech.decrypt(key, ciphertext, params),
    );
  }

  async sign(
    { loaded, mech }: SignatureKey,
    data: Buffer,
    params: MechanismParams,
  ): Promise<{ signature: Buffer; keyVersion: number }> {
    return { signature: await mech.sign(loaded.key, data, params), keyVersion: loaded.record.version };
  }

  /** The version that verified; SIGNATURE_INVALID (as C_Verify) when none does. */
  async verify(
    { loaded, mech }: SignatureKey,
    data: Buffer,
    signature: Buffer,
    params: MechanismParams,
    keyVersion?: number,
  ): Promise<number> {
    return this.firstVersion(loaded, keyVersion, true, 'SIGNATURE_INVALID', async (key, version) => {
      if (!(await mech.verify(key, data, signature, params))) throw new CofferError('SIGNATURE_INVALID');
      return version;
    });
  }

  async digest(mechanismName: string, data: Buffer): Promise<Buffer> {
    return mechanismOfKind(mechanismName, 'digest').digest(data);
  }

  async random(length: number): Promise<Buffer> {
    if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
      throw new CofferError('DATA_LEN_RANGE', `random length is 1 to ${MAX_RANDOM_BYTES} bytes`);
    }
    return new Promise((resolve, reject) => {
      randomFill(Buffer.alloc(length), (error, filled) => (error ? reject(error) : resolve(filled)));
    });
  }

  /**
   * Runs `use` with the asked-for version, or with the newest and then (when a wrong key is
   * detectable) each older one, until one succeeds; the last failure is the answer.
   */
  private async firstVersion<T>(
    loaded: LoadedKey,
    keyVersion: number | undefined,
    tryOlder: boolean,
    wrongKey: 'ENCRYPTED_DATA_INVALID' | 'SIGNATURE_INVALID',
    use: (key: KeyObject, version: number) => Promise<T>,
  ): Promise<T> {
    const newest = loaded.record.version;
    if (keyVersion !== undefined) return use(await this.keyOfVersion(loaded, keyVersion), keyVersion);
    const order = tryOlder ? Array.from({ length: newest }, (_, index) => newest - index) : [newest];
    let failure: unknown;
    for (const version of order) {
      try {
        return await use(await this.keyOfVersion(loaded, version), version);
      } catch (error) {
        if (!isCofferError(error, wrongKey)) throw error;
        failure = error;
      }
    }
    throw failure;
  }

  private async keyOfVersion(loaded: LoadedKey, version: number): Promise<KeyObject> {
    if (version === loaded.record.version) return loaded.key;
    const key =
      version >= 1 && version < loaded.record.version ? await this.versions.load(loaded.record, version) : undefined;
    if (!key) throw new CofferError('INVALID_FIELD', `keyVersion: the key has versions 1 to ${loaded.record.version}`);
    return key;
  }
}
