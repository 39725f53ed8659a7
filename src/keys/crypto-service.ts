import { mechanism } from '../crypto/mechanisms/registry.js';
import type {
  CipherMechanism,
  CipherParams,
  CipherResult,
  KeyClass,
  KeyUsage,
  Mechanism,
  SignatureMechanism,
  SignatureParams,
} from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyService } from './key-service.js';
import type { LoadedKey } from './key-repository.js';

/** Per operation, the kind of mechanism that serves it. The usage attribute has the operation's name. */
const OPERATION_KIND = {
  encrypt: 'cipher',
  decrypt: 'cipher',
  sign: 'signature',
  verify: 'signature',
  wrap: 'wrap',
  unwrap: 'wrap',
  derive: 'derive',
} as const satisfies Record<KeyUsage, Mechanism['kind']>;

/**
 * Using keys: every operation runs the same checks in the same order — the mechanism exists,
 * the caller may see the key, the key's type and class fit the mechanism, the key is enabled,
 * and its usage attribute allows the operation — before any key material is touched.
 */
export class CryptoService {
  constructor(
    private readonly keys: Pick<KeyService, 'visible'>,
    private readonly writer: Pick<RecordWriter, 'commit'>,
  ) {}

  async encrypt(
    session: Session,
    handle: string,
    mechanismName: string,
    plaintext: Buffer,
    params: CipherParams,
  ): Promise<CipherResult> {
    const { loaded, mech } = await this.prepare<CipherMechanism>(session, handle, mechanismName, 'encrypt');
    return mech.encrypt(loaded.key, plaintext, params);
  }

  async decrypt(
    session: Session,
    handle: string,
    mechanismName: string,
    ciphertext: Buffer,
    params: CipherParams,
  ): Promise<Buffer> {
    const { loaded, mech } = await this.prepare<CipherMechanism>(session, handle, mechanismName, 'decrypt');
    return mech.decrypt(loaded.key, ciphertext, params);
  }

  async sign(
    session: Session,
    handle: string,
    mechanismName: string,
    data: Buffer,
    params: SignatureParams,
  ): Promise<Buffer> {
    const { loaded, mech } = await this.prepare<SignatureMechanism>(session, handle, mechanismName, 'sign');
    return mech.sign(loaded.key, data, params);
  }

  /** Resolves when the signature verifies; SIGNATURE_INVALID otherwise (as C_Verify). */
  async verify(
    session: Session,
    handle: string,
    mechanismName: string,
    data: Buffer,
    signature: Buffer,
    params: SignatureParams,
  ): Promise<void> {
    const { loaded, mech } = await this.prepare<SignatureMechanism>(session, handle, mechanismName, 'verify');
    if (!(await mech.verify(loaded.key, data, signature, params))) throw new CofferError('SIGNATURE_INVALID');
  }

  private async prepare<M extends Mechanism>(
    session: Session,
    handle: string,
    mechanismName: string,
    operation: KeyUsage,
  ): Promise<{ loaded: LoadedKey; mech: M }> {
    const mech = mechanism(mechanismName);
    if (mech.kind !== OPERATION_KIND[operation])
      throw new CofferError('MECHANISM_INVALID', `${mech.name} cannot ${operation}`);
    const loaded = await this.keys.visible(session, handle);
    const { record } = loaded;
    const keyClass = (mech.keyClasses as Partial<Record<KeyUsage, KeyClass>>)[operation];
    if (!mech.keyTypes.includes(record.keyType) || record.class !== keyClass) {
      throw new CofferError(
        'KEY_TYPE_INCONSISTENT',
        `${mech.name} needs a ${keyClass} ${mech.keyTypes.join(' or ')} key`,
      );
    }
    if (record.state !== 'enabled' || record.attributes[operation] !== true) {
      await this.writer.commit({
        event: {
          actor: session.username,
          action: `crypto.${operation}`,
          target: `key/${record.handle}`,
          result: 'failure',
          code: 'KEY_FUNCTION_NOT_PERMITTED',
        },
      });
      throw new CofferError('KEY_FUNCTION_NOT_PERMITTED', `the key does not allow ${operation}`);
    }
    return { loaded, mech: mech as M };
  }
}
