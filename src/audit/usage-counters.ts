import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import type { Compare } from '../store/state-store.js';

export const USAGE_PREFIX = 'usage/';

/** Each node counts into its own record, so nodes never contend for a counter. */
export function usagePath(handle: string, node: string): string {
  return `${USAGE_PREFIX}${handle}/${node}`;
}

/** One node's count of the uses of one key, per operation (encrypt, sign, …). */
export interface UsageRecord {
  readonly handle: string;
  readonly node: string;
  readonly total: number;
  readonly operations: Readonly<Record<string, number>>;
  readonly updatedAt: string;
}

export interface KeyUsage {
  readonly handle: string;
  /** Every use, on every node, including this node's uses not yet flushed. */
  readonly total: number;
  readonly operations: Readonly<Record<string, number>>;
  readonly nodes: readonly { readonly node: string; readonly total: number; readonly updatedAt: string }[];
  /** This node's uses counted in memory, not yet written. */
  readonly pending: number;
}

/** Records per flush transaction: each is one compare and one put, within MAX_TXN_OPERATIONS. */
const KEYS_PER_COMMIT = 48;

type Counts = Map<string, Map<string, number>>;

/**
 * Per-key usage counters without a store write per operation: uses are counted in memory and
 * flushed (periodically, and at seal and close) into `usage/<handle>/<node>`, many keys in one
 * commit with one audit event. A failed flush keeps its counts for the next one.
 */
export class UsageCounters {
  private pending: Counts = new Map();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      readonly reader: Pick<RecordReader, 'get' | 'page'>;
      readonly writer: Pick<RecordWriter, 'commit'>;
      readonly nodeId: string;
      readonly clock?: () => Date;
    },
  ) {}

  count(handle: string, operation: string): void {
    const counts = this.pending.get(handle) ?? new Map<string, number>();
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    this.pending.set(handle, counts);
  }

  private restore(handle: string, counts: ReadonlyMap<string, number>): void {
    const into = this.pending.get(handle) ?? new Map<string, number>();
    for (const [operation, n] of counts) into.set(operation, (into.get(operation) ?? 0) + n);
    this.pending.set(handle, into);
  }

  /** Writes every pending count; flushes never overlap. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.flushNow());
    this.flushing = next.catch(() => undefined);
    return next;
  }

  async usageOf(handle: string): Promise<KeyUsage> {
    const operations: Record<string, number> = {};
    const nodes: KeyUsage['nodes'][number][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.page(`${USAGE_PREFIX}${handle}/`, 'key-usage', { after, limit: 1000 });
      for (const { plaintext } of page.records) {
        const record = JSON.parse(plaintext.toString('utf8')) as UsageRecord;
        nodes.push({ node: record.node, total: record.total, updatedAt: record.updatedAt });
        add(operations, record.operations);
      }
      if (!page.more) break;
      after = page.records.at(-1)?.path;
    }
    const local = Object.fromEntries(this.pending.get(handle) ?? []);
    add(operations, local);
    const pending = sum(local);
    return { handle, total: sum(operations), operations, nodes, pending };
  }

  private async flushNow(): Promise<void> {
    const taken = this.pending;
    this.pending = new Map();
    const entries = [...taken];
    for (let start = 0; start < entries.length; start += KEYS_PER_COMMIT) {
      const chunk = entries.slice(start, start + KEYS_PER_COMMIT);
      try {
        await this.commitChunk(chunk);
      } catch (error) {
        // Keep what was not written for the next flush.
        for (const [handle, counts] of entries.slice(start)) this.restore(handle, counts);
        throw error;
      }
    }
  }

  private async commitChunk(chunk: readonly (readonly [string, Map<string, number>])[]): Promise<void> {
    const compares: Compare[] = [];
    const changes: Change[] = [];
    const now = (this.deps.clock ?? (() => new Date()))().toISOString();
    let uses = 0;
    for (const [handle, counts] of chunk) {
      const path = usagePath(handle, this.deps.nodeId);
      const stored = await this.deps.reader.get(path, 'key-usage');
      const before = stored ? (JSON.parse(stored.plaintext.toString('utf8')) as UsageRecord) : undefined;
      const operations = { ...before?.operations };
      add(operations, Object.fromEntries(counts));
      const record: UsageRecord = {
        handle,
        node: this.deps.nodeId,
        total: sum(operations),
        operations,
        updatedAt: now,
      };
      uses += sum(Object.fromEntries(counts));
      compares.push({ key: path, modRevision: stored?.modRevision ?? 0 });
      changes.push({ type: 'put', path, kind: 'key-usage', plaintext: Buffer.from(JSON.stringify(record)) });
    }
    await this.deps.writer.commit({
      compares,
      changes,
      event: {
        actor: 'system',
        action: 'key.usage-flush',
        target: `node/${this.deps.nodeId}`,
        result: 'success',
        details: { keys: chunk.length, uses },
      },
    });
  }
}

function add(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [operation, n] of Object.entries(counts)) into[operation] = (into[operation] ?? 0) + n;
}

function sum(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
