import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { recordHeader } from '../barrier/sealed-record.js';
import type { RangeOptions, StateStore } from '../store/state-store.js';
import type { RecordFreshness } from './record-freshness.js';

export interface OpenedRecord {
  readonly path: string;
  /** The plaintext record; the caller zeroes it when it held key material. */
  readonly plaintext: Buffer;
  readonly modRevision: number;
}

/**
 * Reads sealed records through the barrier: every value read is authenticated before use and,
 * with a freshness map (every node has one), refused unless it is the current sealed value of
 * its path, so a record put back to an older value of itself is refused as a swapped one is.
 * Without one (unit tests of other layers) records are authenticated only.
 */
export class RecordReader {
  constructor(
    private readonly store: StateStore,
    private readonly barrier: Barrier,
    private readonly freshness?: RecordFreshness,
  ) {}

  async get(path: string, kind: RecordKind): Promise<OpenedRecord | undefined> {
    const entry = await this.store.get(path);
    if (!entry) return undefined;
    return { path, plaintext: this.open(path, kind, entry.value), modRevision: entry.modRevision };
  }

  async page(
    prefix: string,
    kind: RecordKind,
    options: RangeOptions,
  ): Promise<{ records: OpenedRecord[]; more: boolean }> {
    const page = await this.store.range(prefix, options);
    const records = page.entries.map((entry) => ({
      path: entry.key,
      plaintext: this.open(entry.key, kind, entry.value),
      modRevision: entry.modRevision,
    }));
    return { records, more: page.more };
  }

  /** Keys only (index entries carry no value). */
  async keys(prefix: string, options: RangeOptions): Promise<{ keys: string[]; more: boolean }> {
    const page = await this.store.range(prefix, { ...options, keysOnly: true });
    return { keys: page.entries.map((entry) => entry.key), more: page.more };
  }

  /**
   * Freshness first, on the header's seq: a refusal before decrypting leaves no plaintext to
   * zero, and a forged header that passes is refused by the authentication that follows.
   */
  private open(path: string, kind: RecordKind, sealed: Buffer): Buffer {
    if (this.freshness) this.freshness.check(path, recordHeader(path, sealed).seq);
    return this.barrier.openRecord(path, kind, sealed);
  }
}
