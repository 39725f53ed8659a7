/**
 * What became of a transaction whose answer was lost (the connection dropped, or the leader
 * died holding its proposal): applied, refused for good, or neither yet. Guessing is not an
 * option — "failed" for an applied key creation tells the caller to create it again, and
 * "unknown" stalls every write behind it — so the store reads etcd's history instead.
 *
 * It works from an anchor: a key the transaction compares at a revision R > 0 and also puts.
 * Such a key holds modRevision R until the first change after R, and never again after it, so:
 *
 *   | the anchor now             | the first version after R    | the transaction is …            |
 *   |----------------------------|------------------------------|----------------------------------|
 *   | still at R                 | —                            | not applied yet: may be resent,  |
 *   |                            |                              | as both compare R, one applies   |
 *   | moved on                   | a put of exactly our bytes   | applied, at that revision        |
 *   | moved on                   | anything else                | refused: its compare failed      |
 *
 * The first version after R is found by a binary search over ranges at a revision (at R the
 * key is at R, at the present it is not: the boundary is the change), starting next to the
 * key's present version, which is most often the transaction's own. Values carry a fresh
 * nonce (sealed records) or a hash of what they chain (the audit head), so "exactly our bytes"
 * names one write. A history compacted away, or a transaction without an anchor, leaves the
 * fate unknown: the caller keeps STORE_TIMEOUT.
 */
import type { Compare, Operation, StoredEntry } from '../state-store.js';

export interface Anchor {
  readonly key: string;
  /** The revision the transaction compares the key at (> 0). */
  readonly modRevision: number;
  /** What the transaction puts there. */
  readonly value: Buffer;
}

export type TxnFate =
  | { readonly state: 'applied'; readonly revision: number }
  | { readonly state: 'refused'; readonly revision: number }
  | { readonly state: 'pending' };

/** The key as it was at a store revision (the present when absent), and the revision read at. */
export type VersionReader = (
  key: string,
  atRevision?: number,
) => Promise<{ readonly entry: StoredEntry | undefined; readonly revision: number }>;

/** A put whose key the transaction compares at a revision > 0; undefined when there is none. */
export function anchorOf(compares: readonly Compare[], operations: readonly Operation[]): Anchor | undefined {
  for (const compare of compares) {
    if (compare.modRevision === 0) continue;
    const put = operations.find((operation) => operation.type === 'put' && operation.key === compare.key);
    if (put?.type === 'put') return { key: compare.key, modRevision: compare.modRevision, value: put.value };
  }
  return undefined;
}

function atAnchor(entry: StoredEntry | undefined, anchor: Anchor): boolean {
  return entry?.modRevision === anchor.modRevision;
}

export async function txnFate(read: VersionReader, anchor: Anchor): Promise<TxnFate> {
  const now = await read(anchor.key);
  if (atAnchor(now.entry, anchor)) return { state: 'pending' };
  // Invariant: the key is at R at `low` and not at `high`, where it is `first`. The key's own
  // modRevision bounds the change; it is most often the change itself, so that is probed first.
  let low = anchor.modRevision;
  let high = now.entry?.modRevision ?? now.revision;
  let first = now.entry;
  if (high <= low) return { state: 'refused', revision: now.revision }; // R was never the key's
  let middle = high - 1;
  while (high - low > 1) {
    const version = await read(anchor.key, middle);
    if (atAnchor(version.entry, anchor)) low = middle;
    else {
      high = middle;
      first = version.entry;
    }
    middle = low + Math.floor((high - low) / 2);
  }
  if (first !== undefined && first.modRevision === high && first.value.equals(anchor.value))
    return { state: 'applied', revision: high };
  return { state: 'refused', revision: now.revision };
}
