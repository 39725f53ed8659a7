import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { MAX_TXN_OPERATIONS, type Compare, type Operation, type StateStore } from '../store/state-store.js';
import {
  AUDIT_HEAD_PATH,
  GENESIS_HASH,
  auditEventPath,
  chainHash,
  type AuditEvent,
  type AuditEventInput,
} from './audit-chain.js';
import type { CheckpointSigner } from './checkpoint-signer.js';
import type { RecordFreshness } from './record-freshness.js';
import { claimFor } from './write-claim.js';

export { AUDIT_EVENT_PREFIX, AUDIT_HEAD_PATH, auditEventPath } from './audit-chain.js';

/** One change of a commit. Plaintext records are sealed here and then zeroed. */
export type Change =
  | { readonly type: 'put'; readonly path: string; readonly kind: RecordKind; readonly plaintext: Buffer }
  | { readonly type: 'index'; readonly path: string }
  | { readonly type: 'delete'; readonly path: string };

/** Compares and changes one commit carries for another part (a new session, its user's closed ones). */
export interface CommitPart {
  readonly compares: readonly Compare[];
  readonly changes: readonly Change[];
}

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
   * Sign a checkpoint whenever a transaction crosses a multiple of `every` events (and whenever
   * a commit asks for one). Absent: no checkpoints (as at `cluster init`, which stores the
   * audit key itself).
   */
  readonly checkpoints?: { readonly every: number; readonly signer: CheckpointSigner };
  /**
   * The map of current record values the reader checks against; the writer keeps it on each
   * commit, and writes nothing until the chain was verified into it after unseal.
   */
  readonly freshness?: RecordFreshness;
}

/** Index entries live here: they hold no value, so the chain does not name their deletion. */
const INDEX_PREFIX = 'idx/';
/** Retries when another writer moved the audit head; with jittered backoff so none starves. */
const MAX_ATTEMPTS = 16;
const MAX_BACKOFF_MS = 64;

interface Head {
  readonly seq: number;
  readonly hash: string;
  readonly modRevision: number;
}

/** The sealed record paths a commit writes, as its event names them. */
interface Written {
  readonly put: readonly string[];
  readonly deleted: readonly string[];
}

/**
 * A commit waiting for its transaction. Its records are sealed only once its seq is known
 * (the seq is in each record's sealed header), and sealed again on a retry with a new seq.
 */
interface Pending {
  readonly compares: readonly Compare[];
  /** The writer's own copies of the plaintexts, zeroed once the commit is settled. */
  readonly changes: readonly Change[];
  readonly written: Written;
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
 * Rollback: every record is sealed with the seq of the event that writes it, and the event
 * names the paths it put and deleted, so the chain says which sealed value of a path is
 * current (record-freshness.ts).
 *
 * Group commit: commits that arrive while a transaction is being made durable wait in a queue
 * and go together in the next one — one fsync for many key generations — each keeping its own
 * audit event, in order. If one commit's condition fails, the group is retried one by one, so
 * only that commit fails with CONFLICT.
 *
 * Checkpoints: with `checkpoints`, the injected signer readies its key after each unseal and
 * the writer adds a signed checkpoint of the chain to the transaction that crosses each
 * multiple of N events.
 */
export class RecordWriter {
  private readonly queue: Pending[] = [];
  private draining = false;
  private head: Head | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly barrier: Barrier,
    private readonly nodeId: string,
    private readonly clock: () => Date = () => new Date(),
    private readonly options: WriterOptions = {},
  ) {}

  async commit(commit: Commit): Promise<AuditEvent> {
    const freshness = this.options.freshness;
    if (freshness && !freshness.loaded && !this.barrier.sealed) {
      // Unsealed but the chain not yet verified: a write now could race the walk at unseal.
      throw new CofferError('NODE_SEALED', 'the audit chain is not verified yet');
    }
    // An idempotent request's record rides in the transaction of its write (write-claim.ts).
    const claimed = claimFor(commit, writtenBy(commit.changes ?? []));
    const carried = claimed
      ? {
          ...commit,
          compares: [...(commit.compares ?? []), ...claimed.compares],
          changes: [...(commit.changes ?? []), ...claimed.changes],
        }
      : commit;
    return new Promise<AuditEvent>((resolve, reject) => {
      const failed = (error: unknown): void => {
        claimed?.release();
        reject(error);
      };
      this.queue.push(this.pending(carried, resolve, failed));
      this.drain();
    });
  }

  /** Takes its own copy of each plaintext (the caller's is zeroed now, as ever). */
  private pending(commit: Commit, resolve: (event: AuditEvent) => void, reject: (error: unknown) => void): Pending {
    const changes = (commit.changes ?? []).map((change): Change => {
      if (change.type !== 'put') return change;
      const plaintext = Buffer.from(change.plaintext);
      change.plaintext.fill(0);
      return { ...change, plaintext };
    });
    const zero = (): void => {
      for (const change of changes) if (change.type === 'put') change.plaintext.fill(0);
    };
    const compares = commit.compares ?? [];
    return {
      compares,
      changes,
      written: writtenBy(changes),
      event: commit.event,
      checkpoint: commit.checkpoint === true,
      keys: [...compares.map((compare) => compare.key), ...changes.map((change) => change.path)],
      resolve: (event) => {
        zero();
        resolve(event);
      },
      reject: (error) => {
        zero();
        reject(error);
      },
    };
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.queue.length > 0) {
          await this.readySigner();
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
        operations + next.changes.length + 1 <= MAX_TXN_OPERATIONS &&
        compares + next.compares.length + 1 <= MAX_TXN_OPERATIONS &&
        !next.keys.some((key) => keys.has(key));
      if (group.length > 0 && (!fits || group.length >= MAX_GROUP)) break;
      group.push(next);
      operations += next.changes.length + 1;
      compares += next.compares.length + 1;
      for (const key of next.keys) keys.add(key);
    }
    this.queue.splice(0, group.length);
    return group;
  }

  private async commitGroup(commits: readonly Pending[]): Promise<void> {
    let group = commits;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let head: Head;
      let result: { succeeded: boolean; revision: number };
      let events: AuditEvent[];
      try {
        head = this.head ?? (await this.readHead());
        events = this.nextEvents(head, group);
        const last = events[events.length - 1]!;
        result = await this.store.txn(
          [
            ...group.flatMap((pending) => pending.compares),
            { key: AUDIT_HEAD_PATH, modRevision: head.modRevision },
            // The chain is append-only: an event is never written over another.
            ...events.map((event) => ({ key: auditEventPath(event.seq), modRevision: 0 })),
          ],
          [
            ...group.flatMap((pending, index) => this.sealChanges(pending, events[index]!.seq)),
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
        group.forEach((pending, index) => {
          this.options.freshness?.committed(events[index]!.seq, pending.written.put, pending.written.deleted);
          pending.resolve(events[index]!);
        });
        return;
      }
      this.head = await this.readHead();
      if (this.head.modRevision === head.modRevision) {
        // The head did not move, so a caller's condition failed: find which, one by one.
        if (group.length > 1) return this.oneByOne(group);
        group[0]!.reject(new CofferError('CONFLICT'));
        return;
      }
      // Another writer moved the head — normal in a cluster, where this writer's cached head
      // goes stale whenever another node commits. A commit whose own condition no longer holds
      // fails now, so its caller re-reads and decides again at once instead of retrying a lost
      // compare. The rest retry at once on the head just read: a writer that waited here would
      // lose every race for a hot record to the node that wrote last. Only a second loss in a
      // row backs off (jittered, so none starves), then reads the head again.
      const holding = await this.stillHolding(group);
      for (const pending of group) if (!holding.includes(pending)) pending.reject(new CofferError('CONFLICT'));
      group = holding;
      if (group.length === 0) return;
      if (attempt > 0) {
        await sleep(randomInt(0, Math.min(MAX_BACKOFF_MS, 2 ** attempt) + 1));
        this.head = undefined;
      }
    }
    for (const pending of group)
      pending.reject(new CofferError('CONFLICT', 'the audit chain is under heavy contention'));
  }

  /** The commits whose compares still hold in the store (a failed group's, before it retries). */
  private async stillHolding(group: readonly Pending[]): Promise<Pending[]> {
    const holding: Pending[] = [];
    for (const pending of group) {
      let holds = true;
      for (const compare of pending.compares) {
        holds = ((await this.store.get(compare.key))?.modRevision ?? 0) === compare.modRevision;
        if (!holds) break;
      }
      if (holds) holding.push(pending);
    }
    return holding;
  }

  /** With checkpoints on: the signer readies its key while unsealed and forgets it while sealed. */
  private async readySigner(): Promise<void> {
    const signer = this.options.checkpoints?.signer;
    if (!signer) return;
    if (this.barrier.sealed) return signer.forget();
    await signer.prepare(
      (commit) =>
        new Promise<boolean>((resolve) => {
          void this.commitGroup([
            this.pending(
              commit,
              () => resolve(true),
              () => resolve(false),
            ),
          ]);
        }),
    );
  }

  /** A signed checkpoint when one is due: asked for, or the group crosses a multiple of N. */
  private checkpointOperations(head: Head, last: AuditEvent, group: readonly Pending[]): Operation[] {
    const checkpoints = this.options.checkpoints;
    if (!checkpoints) return [];
    const { every, signer } = checkpoints;
    const due =
      group.some((pending) => pending.checkpoint) || Math.floor(head.seq / every) !== Math.floor(last.seq / every);
    const record = due ? signer.sign(last) : undefined;
    if (!record) return [];
    return [
      {
        type: 'put',
        key: record.path,
        value: this.barrier.sealRecord(record.path, record.kind, record.plaintext, last.seq),
      },
    ];
  }

  private async oneByOne(group: readonly Pending[]): Promise<void> {
    for (const pending of group) await this.commitGroup([pending]);
  }

  /** The commit's changes as store operations, its records sealed with its event's seq. */
  private sealChanges(pending: Pending, seq: number): Operation[] {
    return pending.changes.map((change): Operation => {
      switch (change.type) {
        case 'put':
          return {
            type: 'put',
            key: change.path,
            value: this.barrier.sealRecord(change.path, change.kind, change.plaintext, seq),
          };
        case 'index':
          return { type: 'put', key: change.path, value: Buffer.alloc(0) };
        case 'delete':
          return { type: 'delete', key: change.path };
      }
    });
  }

  private nextEvents(head: Head, group: readonly Pending[]): AuditEvent[] {
    const events: AuditEvent[] = [];
    let previous = { seq: head.seq, hash: head.hash };
    for (const pending of group) {
      const { put, deleted } = pending.written;
      const unhashed = {
        ...pending.event,
        ...(put.length > 0 && { put }),
        ...(deleted.length > 0 && { deleted }),
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
      value: this.barrier.sealRecord(path, 'audit-event', Buffer.from(JSON.stringify(event)), event.seq),
    };
  }

  private headOperation(last: AuditEvent): Operation {
    const head = Buffer.from(JSON.stringify({ seq: last.seq, hash: last.hash }));
    const value = this.barrier.sealRecord(AUDIT_HEAD_PATH, 'audit-head', head, last.seq);
    return { type: 'put', key: AUDIT_HEAD_PATH, value };
  }

  private async readHead(): Promise<Head> {
    const entry = await this.store.get(AUDIT_HEAD_PATH);
    if (!entry) {
      // No head is a new chain only when there is no first event: never restart over history.
      if (await this.store.get(auditEventPath(1))) throw new CofferError('AUDIT_HEAD_MISSING');
      return { seq: 0, hash: GENESIS_HASH, modRevision: 0 };
    }
    const { seq, hash } = JSON.parse(
      this.barrier.openRecord(AUDIT_HEAD_PATH, 'audit-head', entry.value).toString('utf8'),
    ) as { seq: number; hash: string };
    return { seq, hash, modRevision: entry.modRevision };
  }
}

/** The sealed record paths a commit's changes put and delete, as its event names them. */
function writtenBy(changes: readonly Change[]): Written {
  return {
    put: changes.filter((change) => change.type === 'put').map((change) => change.path),
    deleted: changes
      .filter((change) => change.type === 'delete' && !change.path.startsWith(INDEX_PREFIX))
      .map((change) => change.path),
  };
}

/**
 * Forced audit: when the transaction carrying the event cannot be made, the change fails with
 * it. Errors that already carry a code (a sealed barrier, a refused value) keep it.
 */
function forcedAuditError(error: unknown): unknown {
  if (isCofferError(error)) return error;
  return new CofferError('AUDIT_UNAVAILABLE', undefined, { cause: error });
}
