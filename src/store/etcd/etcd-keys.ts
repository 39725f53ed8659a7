/**
 * Keys and revisions between the store interface and etcd. Keys are UTF-8 bytes; a prefix is
 * the range [prefix, prefixEnd) in bytes, the empty prefix every key ("\0" to "\0" in etcd's
 * notation; a Coffer key never holds NUL, so "\0" sorts below every key).
 *
 * Revisions: a new etcd cluster is at revision 1 with no keys, where the interface says an
 * empty store is at revision 0; every Coffer revision is etcd's minus one, the same on every
 * node, so a compare, a range at a revision and a watch start all translate exactly.
 */
const NUL = Buffer.from([0]);

export function toStoreRevision(etcdRevision: number): number {
  return etcdRevision - 1;
}

export function toEtcdRevision(revision: number): number {
  return revision + 1;
}

export function encodeKey(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

export function decodeKey(key: Buffer): string {
  return key.toString('utf8');
}

/** The smallest byte string above every key that starts with `prefix`; "\0" (no bound) when none is. */
function prefixEnd(prefix: Buffer): Buffer {
  for (let index = prefix.length - 1; index >= 0; index--) {
    const byte = prefix[index] ?? 0xff;
    if (byte < 0xff) return Buffer.concat([prefix.subarray(0, index), Buffer.from([byte + 1])]);
  }
  return NUL;
}

/** The etcd range of every key under `prefix`. */
export function keyRange(prefix: string): { readonly key: Buffer; readonly rangeEnd: Buffer } {
  if (prefix === '') return { key: NUL, rangeEnd: NUL };
  const key = encodeKey(prefix);
  return { key, rangeEnd: prefixEnd(key) };
}

/** The first key a range page reads: the prefix, or just above the cursor. */
export function pageStart(prefix: string, after: string | undefined, afterCursor: boolean): Buffer {
  if (after !== undefined && afterCursor) return Buffer.concat([encodeKey(after), NUL]);
  return keyRange(prefix).key;
}
