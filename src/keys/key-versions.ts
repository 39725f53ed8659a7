import type { KeyObject } from 'node:crypto';
import { checkValue } from '../crypto/keys/check-value.js';
import { exportKeyMaterial, importKeyMaterial } from '../crypto/keys/material.js';
import { keyTypeProvider, specFromShape } from '../crypto/keys/registry.js';
import type { GeneratedKeyPair, KeySpec } from '../crypto/types.js';
import type { ErrorCode } from '../errors/registry.js';
import type { Session } from '../identity/sessions.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { decodeKeyRecord, encodeKeyRecord } from '../objects/key-record-codec.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import { keyPath, keyVersionPath, type LoadedKey } from './key-repository.js';
import type { Admission } from './key-use-gate.js';

export interface KeyVersionsDeps {
  /** A stored key by handle (a pair's other half, which its owner owns too). */
  readonly load: (handle: string) => Promise<LoadedKey | undefined>;
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
}

/**
 * Key rotation with versions (as KMS and Vault's transit keys): rotating makes new key material
 * the key's newest version under the same handle, and keeps every older version, sealed at
 * `key-version/<handle>/<version>`, so what they encrypted still decrypts and what they signed
 * still verifies. A key pair rotates both halves together.
 */
export class KeyVersions {
  private readonly clock: () => Date;

  constructor(private readonly deps: KeyVersionsDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** An older version of a key, or undefined when it has no such version. */
  async load(record: KeyRecord, version: number): Promise<KeyObject | undefined> {
    const opened = await this.deps.reader.get(keyVersionPath(record.handle, version), 'key-version');
    if (!opened) return undefined;
    try {
      return importKeyMaterial(record.class, record.keyType, decodeKeyRecord(opened.plaintext).material);
    } finally {
      opened.plaintext.fill(0);
    }
  }

  /**
   * Rotates a stored key the gate admitted for its owner, under its key-management quorum.
   * `amend` changes the new record in the same commit (a KMS key records its rotation).
   */
  async rotate(
    session: Session,
    admitted: Admission,
    amend: (next: KeyRecord) => KeyRecord = (next) => next,
  ): Promise<KeyRecord> {
    const { loaded, record } = admitted;
    const refuse = (code: ErrorCode, detail: string): Promise<never> =>
      refuseAudited(
        this.deps.writer,
        { actor: session.username, action: 'key.rotate', target: `key/${record.handle}` },
        code,
        detail,
      );
    if (record.class === 'public') return refuse('KEY_TYPE_INCONSISTENT', 'rotate a key pair through its private key');
    // Material made here would pass for the imported one: a key of imported material does not rotate.
    if (record.kms?.origin === 'EXTERNAL')
      return refuse('KMS_OPERATION_UNSUPPORTED', 'a key of imported material does not rotate');
    const provider = keyTypeProvider(record.keyType);
    const spec = specOf(record);
    provider.checkSpec(spec);
    const now = this.clock().toISOString();
    if (record.class === 'secret') {
      if (!provider.generateSecret) return refuse('MECHANISM_INVALID', `${record.keyType} keys do not rotate`);
      const next = await provider.generateSecret(spec);
      const planned = this.plan(loaded, next, now, amend);
      await this.commit(session, admitted, planned.compares, planned.changes);
      return planned.record;
    }
    const publicHalf = record.pairHandle === undefined ? undefined : await this.deps.load(record.pairHandle);
    if (!provider.generatePair || !publicHalf)
      return refuse('MECHANISM_INVALID', `${record.keyType} keys do not rotate without their public half`);
    const pair: GeneratedKeyPair = await provider.generatePair(spec);
    const privatePlan = this.plan(loaded, pair.privateKey, now, amend);
    const publicPlan = this.plan(publicHalf, pair.publicKey, now);
    await this.commit(
      session,
      admitted,
      [...privatePlan.compares, ...publicPlan.compares],
      [...privatePlan.changes, ...publicPlan.changes],
    );
    return privatePlan.record;
  }

  /** Moves the current material to its version record and writes the new material as newest. */
  private plan(
    current: LoadedKey,
    next: KeyObject,
    now: string,
    amend: (next: KeyRecord) => KeyRecord = (record) => record,
  ): { record: KeyRecord; compares: Compare[]; changes: Change[] } {
    const old = current.record;
    const record: KeyRecord = amend({
      ...old,
      version: old.version + 1,
      checkValue: checkValue(next, old.keyType).toString('hex'),
      updatedAt: now,
    });
    const oldMaterial = exportKeyMaterial(current.key);
    const newMaterial = exportKeyMaterial(next);
    try {
      return {
        record,
        compares: [
          { key: keyPath(old.handle), modRevision: current.modRevision },
          { key: keyVersionPath(old.handle, old.version), modRevision: 0 },
        ],
        changes: [
          {
            type: 'put',
            path: keyVersionPath(old.handle, old.version),
            kind: 'key-version',
            plaintext: encodeKeyRecord(old, oldMaterial),
          },
          { type: 'put', path: keyPath(old.handle), kind: 'key', plaintext: encodeKeyRecord(record, newMaterial) },
        ],
      };
    } finally {
      oldMaterial.fill(0);
      newMaterial.fill(0);
    }
  }

  private async commit(session: Session, admitted: Admission, compares: Compare[], changes: Change[]): Promise<void> {
    const { record } = admitted;
    const approval = await admitted.approval();
    await this.deps.writer.commit({
      compares: [...compares, ...(approval?.compares ?? [])],
      changes: [...changes, ...(approval?.changes ?? [])],
      event: {
        actor: session.username,
        action: 'key.rotate',
        target: `key/${record.handle}`,
        result: 'success',
        details: { version: record.version + 1, ...approval?.details },
      },
    });
  }
}

/** The generation spec that reproduces a key's type and size, from the key type table. */
function specOf(record: KeyRecord): KeySpec {
  return specFromShape(record.keyType, record.shape);
}
