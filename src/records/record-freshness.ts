import { CofferError } from '../errors/coffer-error.js';

/** Records under this prefix are the audit chain itself (events, head, checkpoints). */
const CHAIN_PREFIX = 'audit/';

/** What the chain says of a path: its last write, or that it was deleted. */
interface Entry {
  readonly seq: number;
  readonly deleted: boolean;
  /** The map's generation when this node recorded it (see overtaken). */
  readonly generation: number;
}

/**
 * Which sealed value of each path is the current one, from the audit chain: every event names
 * the records its transaction put and deleted, and every record carries the seq of the event
 * that wrote it in its sealed header. Built once at unseal (a walk of the chain), then kept
 * by the writer on each commit; a read is one map lookup.
 *
 * A record read is judged by its bound seq `s`:
 *
 *   | the chain knows the path as | s        | verdict                                             |
 *   |-----------------------------|----------|-----------------------------------------------------|
 *   | written at w                | s = w    | current                                             |
 *   | written at w                | s < w    | an older sealed value of itself: refused            |
 *   | written at w or deleted at d| s > w, d | written after this node last looked (a peer): taken |
 *   | deleted at d                | s ≤ d    | a deleted record put back: refused                  |
 *   | unknown                     | s ≤ floor| no event of the verified chain wrote it: refused    |
 *   | unknown                     | s > floor| written since unseal: taken                         |
 *
 * `floor` is the head verified at unseal; paths deleted before it are simply forgotten (the
 * unknown row refuses them), so the map holds the live records and this session's deletions.
 * A seq above everything known cannot be forged (it is authenticated) and at unseal no record
 * may carry a seq past the head, so taking it admits only values a node sealed later.
 *
 * The chain's own records (under audit/) are not in the map: each event and checkpoint is
 * written once at the path of its seq, and the walk at unseal checks the head against them.
 *
 * A read under way while this node commits the same path may be answered from before the
 * commit, and then be judged after it: an older value, yet no rollback. `overtaken` tells the
 * reader so, and the reader reads again, after the commit: that read is judged as any other.
 */
export class RecordFreshness {
  private entries: Map<string, Entry> | undefined;
  private floor = 0;
  /** Counts the commits recorded; never goes back, not even at clear. */
  private generation = 0;

  /** Until the chain has been verified after unseal, nothing is read (NODE_SEALED). */
  get loaded(): boolean {
    return this.entries !== undefined;
  }

  /** From the walk at unseal: each live path's last write, and the verified head's seq. */
  load(writes: ReadonlyMap<string, number>, floor: number): void {
    const entries = new Map<string, Entry>();
    for (const [path, seq] of writes) entries.set(path, { seq, deleted: false, generation: this.generation });
    this.entries = entries;
    this.floor = floor;
  }

  /** At seal: forgotten, and rebuilt from the chain at the next unseal. */
  clear(): void {
    this.entries = undefined;
    this.floor = 0;
  }

  /** After a commit: the records it put and deleted, at its seq. */
  committed(seq: number, put: readonly string[], deleted: readonly string[]): void {
    if (!this.entries) return;
    const generation = ++this.generation;
    for (const path of put) this.entries.set(path, { seq, deleted: false, generation });
    for (const path of deleted) this.entries.set(path, { seq, deleted: true, generation });
  }

  /** Taken before a store read: what `overtaken` compares with. */
  mark(): number {
    return this.generation;
  }

  /**
   * Whether a value read is older than what this node committed at `path` since `mark`, taken
   * before the read began: the read may have been answered before that commit, so it is read
   * again rather than judged. `seq` gives the value's sealed seq, asked only for such a path.
   */
  overtaken(path: string, mark: number, seq: () => number): boolean {
    const entry = this.entries?.get(path);
    return entry !== undefined && entry.generation > mark && !isCurrent(entry, seq());
  }

  /** Refuses a record that is not the current sealed value of its path (INTEGRITY_ERROR). */
  check(path: string, seq: number): void {
    if (path.startsWith(CHAIN_PREFIX)) return;
    if (!this.entries) throw new CofferError('NODE_SEALED', 'the audit chain is not verified yet');
    const entry = this.entries.get(path);
    const current = entry === undefined ? seq > this.floor : isCurrent(entry, seq);
    if (!current) throw new CofferError('INTEGRITY_ERROR', `record ${path} is not its latest sealed value`);
  }
}

/** The table's rows for a path the chain knows. */
function isCurrent(entry: Entry, seq: number): boolean {
  return entry.deleted ? seq > entry.seq : seq >= entry.seq;
}
