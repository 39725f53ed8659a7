import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { GENESIS_HASH, chainHash, type AuditEvent, type AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
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
  ) {}

  async commit(commit: Commit): Promise<AuditEvent> {
    const operations = (commit.changes ?? []).map((change) => this.toOperation(change));
    const compares = commit.compares ?? [];
    const keys = [...compares.map((compare) => compare.key), ...operations.map((operation) => operation.key)];
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ compares, operations, event: commit.event, keys, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.queue.length > 0) {
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
    let operations = 1;
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
          ],
        );
      } catch (error) {
        this.head = undefined;
        if (group.length > 1) return this.oneByOne(group);
        group[0]!.reject(error);
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
