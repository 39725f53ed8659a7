import { timingSafeEqual } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';
import { withWriteClaim, type WriteClaim, type WriteOutcome } from '../records/write-claim.js';
import {
  decodeIdempotencyRecord,
  encodeIdempotencyRecord,
  expiryIndexPath,
  IDEMPOTENCY_EXPIRY_PREFIX,
  idempotencyPath,
  parseExpiryIndexPath,
  type IdempotencyRecord,
} from './idempotency-record.js';

/** A request that carried an Idempotency-Key: the key and the SHA-256 of its canonical route and body. */
export interface IdempotentRequest {
  readonly key: string;
  readonly digest: Buffer;
}

export interface IdempotencyDeps {
  readonly reader: Pick<RecordReader, 'get' | 'keys'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** HMAC under the barrier's index key (Barrier.blindIndex). */
  readonly blind: (namespace: string, value: Buffer | string) => string;
  readonly clock?: () => Date;
  /** How long a request is remembered; a retry after that runs again. */
  readonly retentionMs?: number;
}

export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Expired records deleted per transaction: two deletes each, within the store's 128 operations. */
const SWEEP_BATCH = 50;

interface Found {
  readonly record: IdempotencyRecord;
  readonly modRevision: number;
  readonly live: boolean;
}

/**
 * Idempotent writes. The first request with a key runs, and its record is written in the
 * transaction of its write (write-claim.ts), compared against the record's absence: of two
 * duplicates racing, on one node or two, exactly one commits; the other fails its compare,
 * reads the winner's record and answers as the winner did. A retry with the same key and the
 * same request answers from the record (its replay) and writes nothing; with another request,
 * IDEMPOTENCY_KEY_REUSED. A request that failed left no record, so its retry runs again.
 */
export class IdempotencyService {
  private readonly clock: () => Date;
  private readonly retentionMs: number;

  constructor(private readonly deps: IdempotencyDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.retentionMs = deps.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /**
   * Runs `write` for `actor` once per key: `replay` answers a retry from what the first
   * request's write did. Without a request (no header), `write` just runs.
   */
  async run<T>(
    request: IdempotentRequest | undefined,
    actor: string,
    write: () => Promise<T>,
    replay: (outcome: WriteOutcome) => Promise<T>,
  ): Promise<T> {
    if (request === undefined) return write();
    const path = idempotencyPath(actor, this.deps.blind('idempotency-key', request.key));
    const fingerprint = this.deps.blind('idempotency-request', request.digest);
    const found = await this.find(path);
    if (found?.live) return this.answer(actor, found.record, fingerprint, replay);
    try {
      return await withWriteClaim(this.claim(actor, path, fingerprint, found), write);
    } catch (error) {
      // A duplicate that lost the race (its compare failed, or its key was gone already) answers the winner's result.
      const now = await this.find(path);
      if (now?.live) return this.answer(actor, now.record, fingerprint, replay);
      throw error;
    }
  }

  /**
   * Deletes the records past their retention, reading only the expiry index up to now; answers
   * how many. Every node may sweep: a batch that lost a race to another is left to it.
   */
  async sweep(): Promise<number> {
    const now = this.clock().toISOString();
    let removed = 0;
    for (;;) {
      const page = await this.deps.reader.keys(IDEMPOTENCY_EXPIRY_PREFIX, { limit: SWEEP_BATCH });
      const expired = page.keys.map(parseExpiryIndexPath).filter((entry) => entry.expiresAt <= now);
      if (expired.length === 0) return removed;
      const compares: Compare[] = [];
      const changes: Change[] = [];
      for (const entry of expired) {
        const indexPath = expiryIndexPath(entry.expiresAt, entry.recordPath);
        changes.push({ type: 'delete', path: indexPath });
        const opened = await this.deps.reader.get(entry.recordPath, 'idempotency');
        // Rewritten since (a new request after expiry) or gone: only the stale entry goes.
        if (!opened || decodeIdempotencyRecord(opened.plaintext).expiresAt !== entry.expiresAt) continue;
        compares.push({ key: entry.recordPath, modRevision: opened.modRevision });
        changes.push({ type: 'delete', path: entry.recordPath });
      }
      const records = changes.filter((change) => !change.path.startsWith(IDEMPOTENCY_EXPIRY_PREFIX)).length;
      await this.deps.writer.commit({
        compares,
        changes,
        event: { actor: 'system', action: 'idempotency.sweep', result: 'success', details: { records } },
      });
      removed += records;
      if (!page.more && expired.length === page.keys.length) return removed;
    }
  }

  /**
   * The claim the write's commit takes: this request's record and its expiry entry, compared to
   * what was there (nothing, or an expired record, whose entry goes).
   */
  private claim(actor: string, path: string, request: string, previous: Found | undefined): WriteClaim {
    let taken = false;
    return {
      actor,
      take: (outcome) => {
        if (taken) return undefined;
        taken = true;
        const now = this.clock();
        const record: IdempotencyRecord = {
          formatVersion: 1,
          request,
          outcome,
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + this.retentionMs).toISOString(),
        };
        const replaced: Change[] =
          previous === undefined ? [] : [{ type: 'delete', path: expiryIndexPath(previous.record.expiresAt, path) }];
        return {
          compares: [{ key: path, modRevision: previous?.modRevision ?? 0 }],
          changes: [
            { type: 'put', path, kind: 'idempotency', plaintext: encodeIdempotencyRecord(record) },
            { type: 'index', path: expiryIndexPath(record.expiresAt, path) },
            ...replaced,
          ],
        };
      },
      release: () => {
        taken = false;
      },
    };
  }

  private async find(path: string): Promise<Found | undefined> {
    const opened = await this.deps.reader.get(path, 'idempotency');
    if (!opened) return undefined;
    const record = decodeIdempotencyRecord(opened.plaintext);
    return { record, modRevision: opened.modRevision, live: record.expiresAt > this.clock().toISOString() };
  }

  /** The first request's answer, rebuilt; the retry is audited as a replay, never as a second write. */
  private async answer<T>(
    actor: string,
    record: IdempotencyRecord,
    fingerprint: string,
    replay: (outcome: WriteOutcome) => Promise<T>,
  ): Promise<T> {
    const { operation, target } = record.outcome;
    const event = { actor, action: 'idempotency.replay', ...(target !== undefined && { target }) };
    if (!sameText(record.request, fingerprint)) {
      await this.deps.writer.commit({
        event: { ...event, result: 'failure', code: 'IDEMPOTENCY_KEY_REUSED', details: { operation } },
      });
      throw new CofferError('IDEMPOTENCY_KEY_REUSED', `it was used for ${operation}`);
    }
    const answer = await replay(record.outcome);
    await this.deps.writer.commit({ event: { ...event, result: 'success', details: { operation } } });
    return answer;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
