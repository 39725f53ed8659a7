import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import type { RangeOptions, StateStore } from '../store/state-store.js';

export interface OpenedRecord {
  readonly path: string;
  /** The plaintext record; the caller zeroes it when it held key material. */
  readonly plaintext: Buffer;
  readonly modRevision: number;
}

/** Reads sealed records through the barrier: every value read is authenticated before use. */
export class RecordReader {
  constructor(
    private readonly store: StateStore,
    private readonly barrier: Barrier,
  ) {}

  async get(path: string, kind: RecordKind): Promise<OpenedRecord | undefined> {
    const entry = await this.store.get(path);
    if (!entry) return undefined;
    return { path, plaintext: this.barrier.openRecord(path, kind, entry.value), modRevision: entry.modRevision };
  }

  async page(
    prefix: string,
    kind: RecordKind,
    options: RangeOptions,
  ): Promise<{ records: OpenedRecord[]; more: boolean }> {
    const page = await this.store.range(prefix, options);
    const records = page.entries.map((entry) => ({
      path: entry.key,
      plaintext: this.barrier.openRecord(entry.key, kind, entry.value),
      modRevision: entry.modRevision,
    }));
    return { records, more: page.more };
  }

  /** Keys only (index entries carry no value). */
  async keys(prefix: string, options: RangeOptions): Promise<{ keys: string[]; more: boolean }> {
    const page = await this.store.range(prefix, { ...options, keysOnly: true });
    return { keys: page.entries.map((entry) => entry.key), more: page.more };
  }
}
