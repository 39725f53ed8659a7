import { randomFill } from 'node:crypto';
import { mechanismOfKind } from '../crypto/mechanisms/registry.js';
import type { CipherResult, KeyClass, KeyUsage, Mechanism, MechanismParams } from '../crypto/types.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { CryptoUseAudit } from '../audit/crypto-use.js';
import type { Session } from '../identity/sessions.js';
import { usableOn } from '../objects/attributes.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyObject } from 'node:crypto';
import { defaultCallerIvCheck, type CallerIvCheck } from './caller-iv-rule.js';
import type { KeyService } from './key-service.js';
import type { LoadedKey } from './key-repository.js';
import type { KeyVersions } from './key-versions.js';

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

export const MAX_RANDOM_BYTES = 65_536;

export interface Prepared<K extends Mechanism['kind']> {
  readonly loaded: LoadedKey;
  readonly mech: Extract<Mechanism, { kind: K }>;
}

/**
 * Using keys: every operation runs the same checks in the same order — the mechanism exists
 * for this operation, the caller may see the key, the key's type and class fit the mechanism,
 * the key is enabled, and its usage attribute allows the operation — before any key material
 * is touched. Encryption and signing use a key's newest version and say which; decryption and
 * verification use the version asked for, or try every version newest first where the
 * mechanism can tell a wrong key.
 */
export class CryptoService {
  constructor(
    private readonly keys: Pick<KeyService, 'visible'>,
    private readonly versions: Pick<KeyVersions, 'load'>,
    private readonly writer: Pick<RecordWriter, 'commit'>,
    /** The key-usage quorum (a key's own value), consumed before the use; none when absent. */
    private readonly quorum?: Pick<QuorumService, 'consumeForUse'>,
    /** Counts each use per key and, when configured, audits it (forced) before the key is used. */
    private readonly use?: Pick<CryptoUseAudit, 'used'>,
    /** The caller-IV rule (caller-iv-rule.ts), shared with multi-part; without one, no caller IVs. */
    readonly callerIv: Pick<CallerIvCheck, 'enforce'> = defaultCallerIvCheck(writer),
  ) {}

  async encrypt(
    session: Session,
    handle: string,
    mechanismName: string,
    plaintext: Buffer,
    params: MechanismParams,
  ): Promise<CipherResult & { keyVersion: number }> {
    const { loaded, mech } = await this.prepare(session, handle, mechanismName, 'encrypt');
    await this.callerIv.enforce(session, 'encrypt', mech, params, loaded.record);
    return { ...(await mech.encrypt(loaded.key, plaintext, params)), keyVersion: loaded.record.version };
  }

  async decrypt(
    session: Session,
    handle: string,
    mechanismName: string,
    ciphertext: Buffer,
    params: MechanismParams,
    keyVersion?: number,
  ): Promise<Buffer> {
    const { loaded, mech } = await this.prepare(session, handle, mechanismName, 'decrypt');
    return this.firstVersion(loaded, keyVersion, mech.authenticated, 'ENCRYPTED_DATA_INVALID', async (key) =>
      mech.decrypt(key, ciphertext, params),
    );
  }

  async sign(
    session: Session,
    handle: string,
    mechanismName: string,
    data: Buffer,
    params: MechanismParams,
  ): Promise<{ signature: Buffer; keyVersion: number }> {
    const { loaded, mech } = await this.prepare(session, handle, mechanismName, 'sign');
    return { signature: await mech.sign(loaded.key, data, params), keyVersion: loaded.record.version };
  }

  /** The version that verified; SIGNATURE_INVALID (as C_Verify) when none does. */
  async verify(
    session: Session,
    handle: string,
    mechanismName: string,
    data: Buffer,
    signature: Buffer,
    params: MechanismParams,
    keyVersion?: number,
  ): Promise<number> {
    const { loaded, mech } = await this.prepare(session, handle, mechanismName, 'verify');
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

  /** The checks every use of a key passes, shared with multi-part operations. */
  async prepare<U extends KeyUsage>(
    session: Session,
    handle: string,
    mechanismName: string,
    operation: U,
  ): Promise<Prepared<(typeof OPERATION_KIND)[U]>> {
    const mech: Mechanism = mechanismOfKind(mechanismName, OPERATION_KIND[operation]);
    const loaded = await this.keys.visible(session, handle);
    const { record } = loaded;
    const keyClass = ('keyClasses' in mech ? (mech.keyClasses as Partial<Record<KeyUsage, KeyClass>>) : {})[operation];
    if (!mech.keyTypes.includes(record.keyType) || record.class !== keyClass) {
      throw new CofferError(
        'KEY_TYPE_INCONSISTENT',
        `${mech.name} needs a ${keyClass} ${mech.keyTypes.join(' or ')} key`,
      );
    }
    // CKA_START_DATE / CKA_END_DATE: outside its window a key is not used (attributes.ts).
    if (record.state !== 'enabled' || record.attributes[operation] !== true || !usableOn(record, new Date())) {
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
    if (record.attributes.token !== false) await this.quorum?.consumeForUse(session, record, `crypto.${operation}`);
    await this.use?.used({ actor: session.username, operation, handle: record.handle, mechanism: mech.name });
    return { loaded, mech: mech as Prepared<(typeof OPERATION_KIND)[U]>['mech'] };
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
