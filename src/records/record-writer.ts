import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { GENESIS_HASH, chainHash, type AuditEvent, type AuditEventInput } from '../audit/audit-event.js';
import { CofferError } from '../errors/coffer-error.js';
import type { Compare, Operation, StateStore } from '../store/state-store.js';
import { Mutex } from '../util/mutex.js';

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

/**
 * The one write path: every state change is committed together with its audit event, in one
 * store transaction, so a change without its event (or an event without its change) cannot
 * exist. When the event cannot be appended the change fails too (forced audit). The audit head
 * is a compared record, so two writers anywhere in a cluster can never fork the chain.
 */
export class RecordWriter {
  private readonly mutex = new Mutex();
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
    return this.mutex.run(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = this.head ?? (await this.readHead());
        const event = this.nextEvent(head, commit.event);
        const result = await this.store.txn(
          [...compares, { key: AUDIT_HEAD_PATH, modRevision: head.modRevision }],
          [...operations, ...this.eventOperations(event)],
        );
        if (result.succeeded) {
          this.head = { seq: event.seq, hash: event.hash, modRevision: result.revision };
          return event;
        }
        this.head = await this.readHead();
        // The head did not move, so one of the caller's conditions failed: that is a conflict
        // for the caller to resolve, not something to retry here.
        if (this.head.modRevision === head.modRevision || !(await this.comparesHold(compares))) {
          throw new CofferError('CONFLICT');
        }
        await sleep(randomInt(0, Math.min(MAX_BACKOFF_MS, 2 ** attempt) + 1));
      }
      throw new CofferError('CONFLICT', 'the audit chain is under heavy contention');
    });
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

  private nextEvent(head: Head, input: AuditEventInput): AuditEvent {
    const unhashed = {
      ...input,
      seq: head.seq + 1,
      time: this.clock().toISOString(),
      node: this.nodeId,
      prevHash: head.hash,
    };
    return { ...unhashed, hash: chainHash(unhashed) };
  }

  private eventOperations(event: AuditEvent): Operation[] {
    const head = Buffer.from(JSON.stringify({ seq: event.seq, hash: event.hash }));
    return [
      {
        type: 'put',
        key: auditEventPath(event.seq),
        value: this.seal(auditEventPath(event.seq), 'audit-event', event),
      },
      { type: 'put', key: AUDIT_HEAD_PATH, value: this.barrier.sealRecord(AUDIT_HEAD_PATH, 'audit-head', head) },
    ];
  }

  private seal(path: string, kind: RecordKind, value: AuditEvent): Buffer {
    return this.barrier.sealRecord(path, kind, Buffer.from(JSON.stringify(value)));
  }

  private async readHead(): Promise<Head> {
    const entry = await this.store.get(AUDIT_HEAD_PATH);
    if (!entry) return { seq: 0, hash: GENESIS_HASH, modRevision: 0 };
    const { seq, hash } = JSON.parse(
      this.barrier.openRecord(AUDIT_HEAD_PATH, 'audit-head', entry.value).toString('utf8'),
    ) as { seq: number; hash: string };
    return { seq, hash, modRevision: entry.modRevision };
  }

  private async comparesHold(compares: readonly Compare[]): Promise<boolean> {
    for (const compare of compares) {
      const entry = await this.store.get(compare.key);
      if ((entry?.modRevision ?? 0) !== compare.modRevision) return false;
    }
    return true;
  }
}
