/**
 * The cluster state store: the StateStore interface on etcd v3, spoken over its gRPC API.
 * etcd gives the semantics the interface was shaped after — store-wide revisions, txns with
 * compares, ranges at a revision, watches from a revision, leases — so this is a translation:
 * the same input checks as SQLite (store-limits.ts) before anything is sent, revisions shifted
 * by one (etcd-keys.ts), and etcd's failures mapped to stable codes (etcd-errors.ts).
 * Reads are linearizable: a write acknowledged on any node is seen here.
 */
import { CofferError, isCofferError } from '../../errors/coffer-error.js';
import { compareKeys } from '../key-order.js';
import type {
  Compare,
  LeaseGrant,
  LeaseId,
  Operation,
  RangeOptions,
  RangePage,
  StateStore,
  StoredEntry,
  TxnResult,
  Unsubscribe,
  WatchEvent,
  WatchOptions,
} from '../state-store.js';
import {
  checkKey,
  checkLeaseId,
  checkLeaseTtl,
  checkPrefix,
  checkRange,
  checkRevision,
  checkTxn,
  checkWatchOptions,
} from '../store-limits.js';
import { WatchHub } from '../watch-hub.js';
import { warnListenerError, warnUnhandledReset } from '../watch-warnings.js';
import { EtcdClient, type EtcdClientOptions } from './etcd-client.js';
import { EtcdKeepAlive } from './etcd-keepalive.js';
import { decodeKey, encodeKey, keyRange, pageStart, toEtcdRevision, toStoreRevision } from './etcd-keys.js';
import { type Anchor, anchorOf, type TxnFate, txnFate, type VersionReader } from './etcd-txn-fate.js';
import { EtcdWatches } from './etcd-watch.js';
import { type CompareWire, type KeyValue, METHODS, type RequestOp, type ResponseHeader } from './etcd-wire.js';

export interface EtcdStoreOptions extends EtcdClientOptions {
  /** Told when a watch listener throws; by default a process warning (without the message). */
  readonly onListenerError?: (error: unknown) => void;
}

const EMPTY = Buffer.alloc(0);
/** A key no Coffer key can be (NUL is refused): reading it costs nothing and tells the revision. */
const REVISION_PROBE = Buffer.from([0]);

function toEntry(kv: KeyValue, keysOnly: boolean): StoredEntry {
  return {
    key: decodeKey(kv.key),
    value: keysOnly ? EMPTY : kv.value,
    createRevision: toStoreRevision(Number(kv.create_revision)),
    modRevision: toStoreRevision(Number(kv.mod_revision)),
  };
}

function toCompare(compare: Compare): CompareWire {
  const key = encodeKey(compare.key);
  // modRevision 0: the key must not exist, which is etcd's version 0.
  if (compare.modRevision === 0) return { result: 'EQUAL', target: 'VERSION', key, version: 0 };
  return { result: 'EQUAL', target: 'MOD', key, mod_revision: toEtcdRevision(compare.modRevision) };
}

function toRequestOp(operation: Operation): RequestOp {
  const key = encodeKey(operation.key);
  if (operation.type === 'delete') return { request_delete_range: { key } };
  return { request_put: { key, value: operation.value, lease: operation.lease ?? '0' } };
}

export class EtcdStore implements StateStore {
  private closed = false;
  /** The newest etcd revision any answer carried: where a watch without fromRevision starts. */
  private latest = 0;
  private readonly hub: WatchHub;
  private readonly watches: EtcdWatches;
  private readonly keepAlives: EtcdKeepAlive;

  constructor(
    private readonly client: EtcdClient,
    options: Pick<EtcdStoreOptions, 'onListenerError'> = {},
  ) {
    this.hub = new WatchHub({
      onListenerError: options.onListenerError ?? warnListenerError,
      onUnhandledReset: warnUnhandledReset,
    });
    this.watches = new EtcdWatches(client, this.hub, (revision) => this.saw(revision));
    this.keepAlives = new EtcdKeepAlive(client);
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    this.ensureOpen();
    checkKey(key);
    const response = await this.client.unary(METHODS.range, { key: encodeKey(key) }, 'read');
    this.sawHeader(response.header);
    const kv = response.kvs[0];
    return kv === undefined ? undefined : toEntry(kv, false);
  }

  async range(prefix: string, options?: RangeOptions): Promise<RangePage> {
    this.ensureOpen();
    const limit = checkRange(prefix, options);
    const after = options?.after;
    const afterCursor = after !== undefined && compareKeys(after, prefix) >= 0;
    const keysOnly = options?.keysOnly === true;
    const response = await this.client.unary(
      METHODS.range,
      {
        key: pageStart(prefix, after, afterCursor),
        range_end: keyRange(prefix).rangeEnd,
        limit,
        revision: options?.revision === undefined ? 0 : toEtcdRevision(options.revision),
        keys_only: keysOnly,
      },
      'read',
    );
    const current = this.sawHeader(response.header);
    return {
      entries: response.kvs.map((kv) => toEntry(kv, keysOnly)),
      more: response.more,
      // etcd's header says the current revision; a page at a revision was read there.
      revision: options?.revision ?? toStoreRevision(current),
    };
  }

  async txn(compares: readonly Compare[], operations: readonly Operation[]): Promise<TxnResult> {
    this.ensureOpen();
    checkTxn(compares, operations);
    const request = { compare: compares.map(toCompare), success: operations.map(toRequestOp), failure: [] };
    const anchor = anchorOf(compares, operations);
    const deadline = Date.now() + this.client.timeoutMs;
    // Sent again only while its anchor is untouched: every copy compares it, so one applies at most.
    for (let resent = false; ; resent = true) {
      let refusedRevision: number | undefined;
      try {
        // An attempt is cut short only when a lost answer can be looked up (the anchor).
        const attemptMs = anchor === undefined ? undefined : this.client.writeAttemptMs;
        const response = await this.client.unary(METHODS.txn, request, 'write', attemptMs);
        const revision = toStoreRevision(this.sawHeader(response.header));
        if (response.succeeded || !resent || anchor === undefined) return { succeeded: response.succeeded, revision };
        refusedRevision = revision; // a copy refused: an earlier one may be what moved the anchor
      } catch (error) {
        if (!isCofferError(error, 'STORE_TIMEOUT') || anchor === undefined || Date.now() >= deadline) throw error;
      }
      const fate = await this.fateOf(anchor);
      if (fate.state === 'applied') return { succeeded: true, revision: fate.revision };
      if (fate.state === 'refused') return { succeeded: false, revision: fate.revision };
      // The anchor untouched and this copy refused: another compare failed, for every copy.
      if (refusedRevision !== undefined) return { succeeded: false, revision: refusedRevision };
      if (Date.now() >= deadline) throw new CofferError('STORE_TIMEOUT', 'etcd did not apply the txn in time');
    }
  }

  /** A lost txn's fate; a read that fails leaves it unknown (STORE_TIMEOUT), whatever the read's own error. */
  private async fateOf(anchor: Anchor): Promise<TxnFate> {
    try {
      return await txnFate(this.versionReader, anchor);
    } catch (error) {
      throw new CofferError('STORE_TIMEOUT', "etcd lost a txn's answer and its fate could not be read", {
        cause: error,
      });
    }
  }

  /** The key at a store revision (the present when absent): how a lost txn's fate is read. */
  private readonly versionReader: VersionReader = async (key, atRevision) => {
    const response = await this.client.unary(
      METHODS.range,
      { key: encodeKey(key), revision: atRevision === undefined ? 0 : toEtcdRevision(atRevision) },
      'read',
    );
    const current = toStoreRevision(this.sawHeader(response.header));
    const kv = response.kvs[0];
    return { entry: kv === undefined ? undefined : toEntry(kv, false), revision: atRevision ?? current };
  };

  watch(prefix: string, listener: (event: WatchEvent) => void, options?: WatchOptions): Unsubscribe {
    this.ensureOpen();
    checkPrefix(prefix);
    checkWatchOptions(options);
    const from = options?.fromRevision;
    // etcd's start revision is inclusive: the first revision after the one named.
    const start = from === undefined ? this.latest + 1 : toEtcdRevision(from) + 1;
    return this.watches.add(prefix, listener, start, options);
  }

  async revision(): Promise<number> {
    this.ensureOpen();
    const response = await this.client.unary(METHODS.range, { key: REVISION_PROBE, count_only: true }, 'read');
    return toStoreRevision(this.sawHeader(response.header));
  }

  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    checkRevision(revision, 'compact revision');
    try {
      await this.client.unary(METHODS.compact, { revision: toEtcdRevision(revision), physical: true }, 'write');
    } catch (error) {
      // Compacting to a revision already compacted changes nothing.
      if (error instanceof CofferError && error.code === 'STORE_COMPACTED') return;
      throw error;
    }
  }

  async grantLease(ttlSeconds: number): Promise<LeaseGrant> {
    this.ensureOpen();
    checkLeaseTtl(ttlSeconds);
    const response = await this.client.unary(METHODS.leaseGrant, { TTL: ttlSeconds }, 'write');
    if (response.error !== '' || response.ID === '0') throw new CofferError('INTERNAL_ERROR', 'etcd granted no lease');
    return { id: response.ID, ttlSeconds: Number(response.TTL) };
  }

  async keepAliveLease(id: LeaseId): Promise<number> {
    this.ensureOpen();
    checkLeaseId(id);
    return this.keepAlives.keepAlive(id);
  }

  async leaseTimeToLive(id: LeaseId): Promise<number | undefined> {
    this.ensureOpen();
    checkLeaseId(id);
    try {
      const response = await this.client.unary(METHODS.leaseTimeToLive, { ID: id }, 'read');
      const ttl = Number(response.TTL);
      return ttl < 0 ? undefined : ttl;
    } catch (error) {
      if (error instanceof CofferError && error.code === 'LEASE_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async revokeLease(id: LeaseId): Promise<void> {
    this.ensureOpen();
    checkLeaseId(id);
    const response = await this.client.unary(METHODS.leaseRevoke, { ID: id }, 'write');
    this.sawHeader(response.header);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watches.close();
    this.keepAlives.close();
    this.hub.clear();
    this.client.close();
  }

  private sawHeader(header: ResponseHeader | null): number {
    if (header === null) throw new CofferError('INTERNAL_ERROR', 'etcd answered without a header');
    const revision = Number(header.revision);
    this.saw(revision);
    return revision;
  }

  private saw(etcdRevision: number): void {
    if (etcdRevision > this.latest) this.latest = etcdRevision;
  }

  private ensureOpen(): void {
    if (this.closed) throw new CofferError('INTERNAL_ERROR', 'the state store is closed');
  }
}

/** Connects and reads the current revision, so watches start from a known point. */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(new EtcdClient(options), options);
  try {
    await store.revision();
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
