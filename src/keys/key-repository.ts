import { createSecretKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { Barrier } from '../barrier/barrier.js';
import { exportKeyMaterial, importKeyMaterial } from '../crypto/keys/material.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change } from '../records/record-writer.js';
import type { Compare, StateStore, Unsubscribe } from '../store/state-store.js';
import { decodeKeyRecord, encodeKeyRecord } from '../objects/key-record-codec.js';
import { holdsNoMaterial, type KeyRecord } from '../objects/key-record.js';
import { AliasDirectory } from './key-aliases.js';

export const KEY_PREFIX = 'key/';

export interface LoadedKey {
  readonly record: KeyRecord;
  readonly key: KeyObject;
  readonly modRevision: number;
}

/**
 * The searchable fields of keys, each backed by an index so a lookup is one range read;
 * 'all' walks the key records themselves (an admin's listing).
 */
export type KeyIndex = 'owner' | 'shared' | 'label' | 'id' | 'public' | 'all';

const INDEX_PREFIX: Record<Exclude<KeyIndex, 'all'>, string> = {
  owner: 'idx/key-owner/',
  /** idx/key-shared/<username>/<handle>: the keys shared with a user (key-sharing.ts). */
  shared: 'idx/key-shared/',
  label: 'idx/key-label/',
  id: 'idx/key-id/',
  /** idx/key-public/<handle>: the public objects among keys (isPublicKeyObject), for sessions without a login. */
  public: 'idx/key-public/',
};

/**
 * A key a PKCS#11 session without a login may list (while the cluster policy lets it): a stored
 * public key whose owner left CKA_PRIVATE false. Secret and private keys never are, whatever
 * their CKA_PRIVATE says.
 */
export function isPublicKeyObject(record: KeyRecord): boolean {
  return record.class === 'public' && record.attributes.private !== true && record.attributes.token !== false;
}

const CACHE_LIMIT = 100_000;

/**
 * Key records in the store: where they live, their indexes, and an in-memory cache of opened
 * keys by handle. The cache is kept honest by a watch on the key prefix, so a change written
 * anywhere (another node, later) evicts the stale entry, and a load that raced with a change is
 * not cached.
 */
export class KeyRepository {
  private readonly cache = new Map<string, LoadedKey>();
  /** Counts key changes seen by the watch: a load that raced with one is not cached. */
  private changes = 0;
  private readonly unwatch: Unsubscribe;
  /** Aliases (alias/<name>) and their index from key to aliases (key-aliases.ts). */
  readonly aliases: AliasDirectory;

  constructor(
    store: StateStore,
    private readonly barrier: Barrier,
    private readonly reader: Pick<RecordReader, 'get' | 'keys'>,
  ) {
    this.aliases = new AliasDirectory(reader);
    this.unwatch = store.watch(
      KEY_PREFIX,
      (event) => {
        this.changes++;
        this.cache.delete(event.key.slice(KEY_PREFIX.length));
      },
      {
        // Changes were missed (a compaction while the watch was away): drop every cached key.
        onReset: () => {
          this.changes++;
          this.cache.clear();
        },
      },
    );
  }

  async load(handle: string): Promise<LoadedKey | undefined> {
    const cached = this.cache.get(handle);
    if (cached) return cached;
    // A change committed between this read and the insert below (a disable, an unshare) must
    // not leave the older record cached: such a load is used once and not kept.
    const changesBefore = this.changes;
    const opened = await this.reader.get(keyPath(handle), 'key');
    if (!opened) return undefined;
    try {
      const { record, material } = decodeKeyRecord(opened.plaintext);
      const loaded = {
        record,
        key: openMaterial(record, material),
        modRevision: opened.modRevision,
      };
      if (this.changes !== changesBefore) return loaded;
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(handle, loaded);
      return loaded;
    } finally {
      opened.plaintext.fill(0);
    }
  }

  /** The changes that create a key record with its indexes; the handle must be new. */
  create(record: KeyRecord, material: Buffer): { compares: Compare[]; changes: Change[] } {
    return {
      compares: [{ key: keyPath(record.handle), modRevision: 0 }],
      changes: [
        { type: 'put', path: keyPath(record.handle), kind: 'key', plaintext: encodeKeyRecord(record, material) },
        ...this.indexPaths(record).map((path): Change => ({ type: 'index', path })),
      ],
    };
  }

  delete(loaded: LoadedKey): { compares: Compare[]; changes: Change[] } {
    return {
      compares: [{ key: keyPath(loaded.record.handle), modRevision: loaded.modRevision }],
      changes: [
        { type: 'delete', path: keyPath(loaded.record.handle) },
        ...this.indexPaths(loaded.record).map((path): Change => ({ type: 'delete', path })),
      ],
    };
  }

  /**
   * The changes that rewrite a key record (same material, new fields; or `newKey`, imported
   * material; or none, for a key pending import) and move its index entries (label, CKA_ID,
   * shares), compared on the revision it was read at.
   */
  replace(loaded: LoadedKey, next: KeyRecord, newKey?: KeyObject): { compares: Compare[]; changes: Change[] } {
    const before = new Set(this.indexPaths(loaded.record));
    const after = new Set(this.indexPaths(next));
    const material = holdsNoMaterial(next) ? Buffer.alloc(0) : exportKeyMaterial(newKey ?? loaded.key);
    try {
      return {
        compares: [{ key: keyPath(next.handle), modRevision: loaded.modRevision }],
        changes: [
          { type: 'put', path: keyPath(next.handle), kind: 'key', plaintext: encodeKeyRecord(next, material) },
          ...[...before].filter((path) => !after.has(path)).map((path): Change => ({ type: 'delete', path })),
          ...[...after].filter((path) => !before.has(path)).map((path): Change => ({ type: 'index', path })),
        ],
      };
    } finally {
      material.fill(0);
    }
  }

  /**
   * A page of the keys `username` owns or that are shared with it: two index walks merged in
   * handle order, so `after` (a handle) is a stable cursor across both.
   */
  async findOwnedOrShared(
    username: string,
    options: { after?: string; limit: number },
  ): Promise<{ handles: string[]; more: boolean }> {
    const [owned, shared] = await Promise.all([
      this.find('owner', username, options),
      this.find('shared', username, options),
    ]);
    // Each walk is contiguous from `after`, so the first `limit` of the merge miss nothing.
    const merged = [...new Set([...owned.handles, ...shared.handles])].sort();
    return {
      handles: merged.slice(0, options.limit),
      more: merged.length > options.limit || owned.more || shared.more,
    };
  }

  /** A page of handles whose `index` field equals `value`, after the cursor `after`. */
  async find(
    index: KeyIndex,
    value: string,
    options: { after?: string; limit: number },
  ): Promise<{ handles: string[]; more: boolean }> {
    const prefix =
      index === 'all'
        ? KEY_PREFIX
        : index === 'public'
          ? INDEX_PREFIX.public
          : `${INDEX_PREFIX[index]}${this.indexToken(index, value)}/`;
    const after = options.after === undefined ? undefined : prefix + options.after;
    const page = await this.reader.keys(prefix, { after, limit: options.limit });
    return { handles: page.keys.map((key) => key.slice(prefix.length)), more: page.more };
  }

  /** The store paths of every older version of a key, to delete them with it. */
  async versionPaths(handle: string): Promise<string[]> {
    return (await this.reader.keys(`${KEY_VERSION_PREFIX}${handle}/`, { limit: 1000 })).keys;
  }

  async ownsKeys(owner: string): Promise<boolean> {
    return (await this.find('owner', owner, { limit: 1 })).handles.length > 0;
  }

  /**
   * Whether any key is owned by or shared with a user. A user who has either cannot be deleted:
   * a later user of the same name would otherwise inherit the access.
   */
  async holdsKeys(username: string): Promise<boolean> {
    return (await this.findOwnedOrShared(username, { limit: 1 })).handles.length > 0;
  }

  close(): void {
    this.unwatch();
    this.cache.clear();
  }

  /** Drops every opened key from memory (at seal). */
  evictAll(): void {
    this.cache.clear();
  }

  private indexPaths(record: KeyRecord): string[] {
    const paths = [INDEX_PREFIX.owner + this.indexToken('owner', record.owner) + '/' + record.handle];
    for (const user of record.sharedWith) paths.push(INDEX_PREFIX.shared + user + '/' + record.handle);
    if (record.label) paths.push(INDEX_PREFIX.label + this.indexToken('label', record.label) + '/' + record.handle);
    if (record.id) paths.push(INDEX_PREFIX.id + this.indexToken('id', record.id) + '/' + record.handle);
    if (isPublicKeyObject(record)) paths.push(INDEX_PREFIX.public + record.handle);
    return paths;
  }

  /** Owners are usernames and appear as-is; labels and IDs are client data, so blinded. */
  private indexToken(index: Exclude<KeyIndex, 'all' | 'public'>, value: string): string {
    return index === 'owner' || index === 'shared' ? value : this.barrier.blindIndex(`key-${index}`, value);
  }
}

/**
 * A key without its imported material carries none, and opens as an empty secret that no
 * mechanism accepts (the gate refuses the key before that, by its state).
 */
function openMaterial(record: KeyRecord, material: Buffer): KeyObject {
  if (!holdsNoMaterial(record)) return importKeyMaterial(record.class, record.keyType, material);
  if (material.length !== 0) throw new CofferError('INTEGRITY_ERROR', 'a key without material holds some');
  return createSecretKey(Buffer.alloc(0));
}

export function keyPath(handle: string): string {
  return KEY_PREFIX + handle;
}

/** Older versions of a rotated key (see key-versions.ts). */
export const KEY_VERSION_PREFIX = 'key-version/';

export function keyVersionPath(handle: string, version: number): string {
  return `${KEY_VERSION_PREFIX}${handle}/${String(version).padStart(8, '0')}`;
}

/** A KMS key's import record (src/kms/import-record.ts): deleted with the key. */
export function keyImportPath(handle: string): string {
  return `key-import/${handle}`;
}
