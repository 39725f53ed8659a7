import type { Barrier } from '../barrier/barrier.js';
import type { RecordKind } from '../barrier/record-kinds.js';
import { recordHeader } from '../barrier/sealed-record.js';
import { CofferError } from '../errors/coffer-error.js';
import type { RangeOptions, StateStore, StoredEntry } from '../store/state-store.js';
import type { RecordFreshness } from './record-freshness.js';

/** A record read and decoded by getDecoded. */
export interface Decoded<T> {
  readonly value: T;
  readonly modRevision: number;
}

/** What getDecoded keeps of a path it read: the bytes it opened and what they decoded to. */
interface Memo {
  readonly kind: RecordKind;
  readonly decode: (plaintext: Buffer) => unknown;
  readonly sealed: Buffer;
  readonly value: unknown;
}

/** Paths getDecoded keeps (a few hundred bytes each); beyond, the oldest go and are opened again. */
const MAX_MEMO = 100_000;

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
  private readonly memo = new Map<string, Memo>();

  constructor(
    private readonly store: StateStore,
    private readonly barrier: Barrier,
    private readonly freshness?: RecordFreshness,
  ) {}

  async get(path: string, kind: RecordKind): Promise<OpenedRecord | undefined> {
    const entry = await this.read(path);
    if (!entry) return undefined;
    return { path, plaintext: this.open(path, kind, entry.value), modRevision: entry.modRevision };
  }

  /**
   * Reads `path` and decodes its plaintext (zeroed after) — unless its sealed bytes are exactly
   * the ones this reader last opened there, as this kind, with this decoder: then the value
   * decoded from them is taken, since the same authenticated bytes give the same plaintext. The
   * store is read and the freshness checked on every call, so nothing is answered from a cache;
   * only the decryption of an unchanged value is spared (a record read on every request: a
   * session). What is kept holds no key material and goes with forgetDecoded (at seal).
   */
  async getDecoded<T>(
    path: string,
    kind: RecordKind,
    decode: (plaintext: Buffer) => T,
  ): Promise<Decoded<T> | undefined> {
    const entry = await this.read(path);
    const known = this.memo.get(path);
    if (!entry) {
      this.memo.delete(path);
      return undefined;
    }
    if (known && known.kind === kind && known.decode === decode && known.sealed.equals(entry.value)) {
      if (this.barrier.sealed) throw new CofferError('NODE_SEALED');
      if (this.freshness) this.freshness.check(path, recordHeader(path, entry.value).seq);
      return { value: known.value as T, modRevision: entry.modRevision };
    }
    const plaintext = this.open(path, kind, entry.value);
    let value: T;
    try {
      value = decode(plaintext);
    } finally {
      plaintext.fill(0);
    }
    if (!known && this.memo.size >= MAX_MEMO) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(path, { kind, decode, sealed: entry.value, value });
    return { value, modRevision: entry.modRevision };
  }

  /** Drops what getDecoded kept (at seal: a sealed node holds no decoded record). */
  forgetDecoded(): void {
    this.memo.clear();
  }

  async page(
    prefix: string,
    kind: RecordKind,
    options: RangeOptions,
  ): Promise<{ records: OpenedRecord[]; more: boolean }> {
    const mark = this.freshness?.mark();
    let page = await this.store.range(prefix, options);
    if (page.entries.some((entry) => this.overtaken(entry, mark))) page = await this.store.range(prefix, options);
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
   * The store's answer for `path` — read again when this node committed a newer value of it
   * while the first read was under way (record-freshness.ts): that one may predate the commit.
   */
  private async read(path: string): Promise<StoredEntry | undefined> {
    const mark = this.freshness?.mark();
    const entry = await this.store.get(path);
    return entry && this.overtaken(entry, mark) ? this.store.get(path) : entry;
  }

  private overtaken(entry: StoredEntry, mark: number | undefined): boolean {
    if (mark === undefined || !this.freshness) return false;
    return this.freshness.overtaken(entry.key, mark, () => recordHeader(entry.key, entry.value).seq);
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
