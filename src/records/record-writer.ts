import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { GENESIS_HASH, chainHash, type AuditEvent, type AuditEventInput } from '../audit/audit-event.js';
import { AUDIT_KEY_PATH, generateAuditKey, loadAuditKey, type AuditKey } from '../audit/audit-key.js';
import { checkpointPath, signCheckpoint } from '../audit/checkpoint.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { MAX_TXN_OPERATIONS, type Compare, type Operation, type StateStore } from '../store/state-store.js';

/** One change of a commit. Plaintext records are sealed here and then zeroed. */
export type Change =
  | { readonly type: 'put'; readonly path: string; readonly kind: RecordKind; readonly plaintext: Buffer }
  | { readonly type: 'index'; readonly path: string }
  | { readonly type: 'delete'; readonly path: string };

export interface Commit {
  /** Conditions on the records read to decide this change (modRevision 0: must not exist). */
  readonly compares?: readonly Compare[];
  readonly changes?: readonly Change[];
  readonly event: AuditEventInput;
  /** Also sign a checkpoint covering this event, in the same transaction (when checkpoints are on). */
  readonly checkpoint?: boolean;
}

export interface WriterOptions {
  /**
   * Sign a checkpoint with the cluster's audit key whenever a transaction crosses a multiple of
   * this many events (and whenever a commit asks for one). Absent: no checkpoints and no audit
   * key (as at `cluster init`, which stores the key itself).
   */
  readonly checkpointEvery?: number;
}

export const AUDIT_HEAD_PATH = 'audit/head';
export const AUDIT_EVENT_PREFIX = 'audit/event/';
/** Retries when another writer moved the audit head; with jittered backoff so none starves. */
const MAX_ATTEMPTS = 16;
const MAX_BACKOFF_MS = 64;

export function auditEventPath(seq: number): string {
  return AUDIT_EVENT_PREFIX + String(seq).padStart(16, '0');
}

interface Head {
  readonly seq: number;
  readonly hash: string;
  readonly modRevision: number;
}

/** A commit waiting for its transaction; operations are sealed already. */
interface Pending {
  readonly compares: readonly Compare[];
  readonly operations: readonly Operation[];
  readonly event: AuditEventInput;
  readonly checkpoint: boolean;
  /** Every key it compares or writes: commits that share a key never share a transaction. */
  readonly keys: readonly string[];
  resolve(event: AuditEvent): void;
  reject(error: unknown): void;
}

/** At most this many commits ride in one transaction (and within MAX_TXN_OPERATIONS). */
const MAX_GROUP = 64;

/**
 * The one write path: every state change is committed together with its audit event, in one
 * store transaction, so a change without its event (or an event without its change) cannot
 * exist. When the event cannot be appended the change fails too (forced audit). The audit head
 * is a compared record, so two writers anywhere in a cluster can never fork the chain.
 *
 * Group commit: commits that arrive while a transaction is being made durable wait in a queue
 * and go together in the next one — one fsync for many key generations — each keeping its own
 * audit event, in order. If one commit's condition fails, the group is retried one by one, so
 * only that commit fails with CONFLICT.
 *
 * Checkpoints: with `checkpointEvery`, the writer loads the cluster's audit key after each
 * unseal (creating it, audited, for a cluster made before audit keys existed) and adds a
 * signed checkpoint of the chain to the transaction that crosses each multiple of N events.
 */
export class RecordWriter {
  private readonly queue: Pending[] = [];
  private draining = false;
  private head: Head | undefined;
  private auditKey: AuditKey | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly barrier: Barrier,
    private readonly nodeId: string,
    private readonly clock: () => Date = () => new Date(),
    private readonly options: WriterOptions = {},
  ) {}

  /** Drops the audit private key from memory (at seal). It is loaded again after unseal. */
  forgetAuditKey(): void {
    this.auditKey = undefined;
  }

  /** The audit key in use, once loaded (undefined while sealed or with checkpoints off). */
  get currentAuditKey(): AuditKey | undefined {
    return this.auditKey;
  }

  async commit(commit: Commit): Promise<AuditEvent> {
    const operations = (commit.changes ?? []).map((change) => this.toOperation(change));
    const compares = commit.compares ?? [];
    const keys = [...compares.map((compare) => compare.key), ...operations.map((operation) => operation.key)];
    return new Promise<AuditEvent>((resolve, reject) => {
      const checkpoint = commit.checkpoint === true;
      this.queue.push({ compares, operations, event: commit.event, checkpoint, keys, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.queue.length > 0) {
          await this.readyAuditKey();
          await this.commitGroup(this.takeGroup());
          // Let requests that arrived meanwhile queue their commits, so the next transaction
          // carries all of them.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    const keys = new Set<string>([AUDIT_HEAD_PATH]);
    // The head, and a checkpoint when one is due.
    let operations = 2;
    let compares = 1;
    for (const next of this.queue) {
      const fits =
        operations + next.operations.length + 1 <= MAX_TXN_OPERATIONS &&
        compares + next.compares.length <= MAX_TXN_OPERATIONS &&
        !next.keys.some((key) => keys.has(key));
      if (group.length > 0 && (!fits || group.length >= MAX_GROUP)) break;
      group.push(next);
      operations += next.operations.length + 1;
      compares += next.compares.length;
      for (const key of next.keys) keys.add(key);
    }
    this.queue.splice(0, group.length);
    return group;
  }

  private async commitGroup(group: readonly Pending[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let head: Head;
      let result: { succeeded: boolean; revision: number };
      let events: AuditEvent[];
      try {
        head = this.head ?? (await this.readHead());
        events = this.nextEvents(head, group);
        const last = events[events.length - 1]!;
        result = await this.store.txn(
          [...group.flatMap((pending) => pending.compares), { key: AUDIT_HEAD_PATH, modRevision: head.modRevision }],
          [
            ...group.flatMap((pending) => pending.operations),
            ...events.map((event) => this.eventOperation(event)),
            this.headOperation(last),
            ...this.checkpointOperations(head, last, group),
          ],
        );
      } catch (error) {
        this.head = undefined;
        if (group.length > 1) return this.oneByOne(group);
        group[0]!.reject(forcedAuditError(error));
        return;
      }
      if (result.succeeded) {
        const last = events[events.length - 1]!;
        this.head = { seq: last.seq, hash: last.hash, modRevision: result.revision };
        group.forEach((pending, index) => pending.resolve(events[index]!));
        return;
      }
      this.head = await this.readHead();
      if (this.head.modRevision === head.modRevision) {
        // The head did not move, so a caller's condition failed: find which, one by one.
        if (group.length > 1) return this.oneByOne(group);
        group[0]!.reject(new CofferError('CONFLICT'));
        return;
      }
      // Another writer moved the head: back off a little (jittered, so none starves) and retry.
      await sleep(randomInt(0, Math.min(MAX_BACKOFF_MS, 2 ** attempt) + 1));
    }
    for (const pending of group)
      pending.reject(new CofferError('CONFLICT', 'the audit chain is under heavy contention'));
  }

  /**
   * With checkpoints on and the node unsealed: loads the audit key, or creates it (its own
   * audited transaction, compared so two nodes never make two keys). A failure here leaves
   * checkpoints off until the next commit tries again; it never blocks the commit itself.
   */
  private async readyAuditKey(): Promise<void> {
    if (!this.options.checkpointEvery || this.barrier.sealed) {
      this.auditKey = undefined;
      return;
    }
    if (this.auditKey) return;
    try {
      this.auditKey = await loadAuditKey(this.store, this.barrier);
      if (this.auditKey) return;
      const created = generateAuditKey();
      const committed = await new Promise<boolean>((resolve) => {
        void this.commitGroup([
          {
            compares: [{ key: AUDIT_KEY_PATH, modRevision: 0 }],
            operations: [this.toOperation(created.change)],
            event: {
              actor: 'system',
              action: 'audit.key-create',
              target: AUDIT_KEY_PATH,
              result: 'success',
              details: { keyId: created.key.keyId, algorithm: 'ed25519' },
            },
            checkpoint: false,
            keys: [AUDIT_KEY_PATH],
            resolve: () => resolve(true),
            reject: () => resolve(false),
          },
        ]);
      });
      // Another node may have made it first: then use that one.
      this.auditKey = committed ? created.key : await loadAuditKey(this.store, this.barrier);
    } catch {
      this.auditKey = undefined;
    }
  }

  /** A signed checkpoint when one is due: asked for, or the group crosses a multiple of N. */
  private checkpointOperations(head: Head, last: AuditEvent, group: readonly Pending[]): Operation[] {
    const every = this.options.checkpointEvery;
    const key = this.auditKey;
    if (!every || !key) return [];
    const due =
      group.some((pending) => pending.checkpoint) || Math.floor(head.seq / every) !== Math.floor(last.seq / every);
    if (!due) return [];
    const checkpoint = signCheckpoint(
      {
        seq: last.seq,
        hash: last.hash,
        time: last.time,
        node: this.nodeId,
        clusterId: this.barrier.identity.clusterId,
      },
      key,
    );
    const path = checkpointPath(last.seq);
    const value = this.barrier.sealRecord(path, 'audit-checkpoint', Buffer.from(JSON.stringify(checkpoint)));
    return [{ type: 'put', key: path, value }];
  }

  private async oneByOne(group: readonly Pending[]): Promise<void> {
    for (const pending of group) await this.commitGroup([pending]);
  }

  private toOperation(change: Change): Operation {
    switch (change.type) {
      case 'put': {
        const value = this.barrier.sealRecord(change.path, change.kind, change.plaintext);
        change.plaintext.fill(0);
        return { type: 'put', key: change.path, value };
      }
      case 'index':
        return { type: 'put', key: change.path, value: Buffer.alloc(0) };
      case 'delete':
        return { type: 'delete', key: change.path };
    }
  }

  private nextEvents(head: Head, group: readonly Pending[]): AuditEvent[] {
    const events: AuditEvent[] = [];
    let previous = { seq: head.seq, hash: head.hash };
    for (const pending of group) {
      const unhashed = {
        ...pending.event,
        seq: previous.seq + 1,
        time: this.clock().toISOString(),
        node: this.nodeId,
        prevHash: previous.hash,
      };
      const event = { ...unhashed, hash: chainHash(unhashed) };
      events.push(event);
      previous = event;
    }
    return events;
  }

  private eventOperation(event: AuditEvent): Operation {
    const path = auditEventPath(event.seq);
    return {
      type: 'put',
      key: path,
      value: this.barrier.sealRecord(path, 'audit-event', Buffer.from(JSON.stringify(event))),
    };
  }

  private headOperation(last: AuditEvent): Operation {
    const head = Buffer.from(JSON.stringify({ seq: last.seq, hash: last.hash }));
    return { type: 'put', key: AUDIT_HEAD_PATH, value: this.barrier.sealRecord(AUDIT_HEAD_PATH, 'audit-head', head) };
  }

  private async readHead(): Promise<Head> {
    const entry = await this.store.get(AUDIT_HEAD_PATH);
    if (!entry) return { seq: 0, hash: GENESIS_HASH, modRevision: 0 };
    const { seq, hash } = JSON.parse(
      this.barrier.openRecord(AUDIT_HEAD_PATH, 'audit-head', entry.value).toString('utf8'),
    ) as { seq: number; hash: string };
    return { seq, hash, modRevision: entry.modRevision };
  }
}

/**
 * Forced audit: when the transaction carrying the event cannot be made, the change fails with
 * it. Errors that already carry a code (a sealed barrier, a refused value) keep it.
 */
function forcedAuditError(error: unknown): unknown {
  if (isCofferError(error)) return error;
  return new CofferError('AUDIT_UNAVAILABLE', undefined, { cause: error });
}
