/**
 * The store's watches over one etcd Watch stream. Each watcher remembers the next revision it
 * needs; when the stream fails (a member killed, a leader lost) a new stream on the next
 * endpoint re-creates every watcher from there, so nothing is lost, and events at or below
 * what a watcher already delivered are dropped, so nothing comes twice. etcd never splits one
 * revision's events across responses (fragment is off), so "next revision" is exact.
 * A start revision etcd compacted away cancels the watcher: it is reset (reload at the
 * compaction revision) and created again after it.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { WatchEvent, WatchOptions } from '../state-store.js';
import type { HubWatcher, WatchHub } from '../watch-hub.js';
import type { EtcdClient, Endpoint } from './etcd-client.js';
import { decodeKey, keyRange, toStoreRevision } from './etcd-keys.js';
import { METHODS, type WatchEventWire, type WatchRequest, type WatchResponse } from './etcd-wire.js';

interface Watcher {
  readonly hub: HubWatcher;
  readonly range: { readonly key: Buffer; readonly rangeEnd: Buffer };
  /** The etcd revision the watcher needs next: everything before it was delivered. */
  next: number;
}

type WatchCall = ClientDuplexStream<WatchRequest, WatchResponse>;

const FIRST_RECONNECT_MS = 50;
const MAX_RECONNECT_MS = 2000;
const EMPTY = Buffer.alloc(0);

export class EtcdWatches {
  private readonly watchers = new Set<Watcher>();
  /** The watchers created on the current stream, by the watch id given to etcd. */
  private readonly byId = new Map<string, Watcher>();
  private stream: { readonly call: WatchCall; readonly endpoint: Endpoint } | undefined;
  private nextId = 1;
  private reconnectMs = FIRST_RECONNECT_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly client: EtcdClient,
    private readonly hub: WatchHub,
    /** Every header etcd sends: the store's latest known revision. */
    private readonly sawRevision: (etcdRevision: number) => void,
  ) {}

  /** Watches `prefix` from etcd revision `start` (inclusive). */
  add(prefix: string, listener: (event: WatchEvent) => void, start: number, options?: WatchOptions): () => void {
    const hub = this.hub.add(prefix, listener, { after: Number.MAX_SAFE_INTEGER, onReset: options?.onReset });
    const watcher: Watcher = { hub, range: keyRange(prefix), next: start };
    this.watchers.add(watcher);
    if (this.stream) this.create(this.stream.call, watcher);
    else this.connect();
    return () => this.remove(watcher);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    for (const watcher of this.watchers) watcher.hub.unsubscribe();
    this.watchers.clear();
    this.byId.clear();
    this.stream?.call.cancel();
    this.stream = undefined;
  }

  private remove(watcher: Watcher): void {
    watcher.hub.unsubscribe();
    if (!this.watchers.delete(watcher)) return;
    for (const [id, candidate] of this.byId) {
      if (candidate !== watcher) continue;
      this.byId.delete(id);
      this.stream?.call.write({ cancel_request: { watch_id: id } });
    }
    // The last watcher gone: the stream is closed rather than kept idle.
    if (this.watchers.size === 0 && this.stream) {
      const { call } = this.stream;
      this.stream = undefined;
      call.cancel();
    }
  }

  private connect(): void {
    if (this.closed || this.stream || this.watchers.size === 0) return;
    let opened: { readonly call: WatchCall; readonly endpoint: Endpoint };
    try {
      opened = this.client.stream(METHODS.watch);
    } catch {
      return; // Closed meanwhile.
    }
    const stream = opened;
    this.stream = stream;
    this.byId.clear();
    stream.call.on('data', (response: WatchResponse) => {
      if (this.stream === stream) this.receive(stream.call, response);
    });
    // 'error' then 'close', or 'end': either way this stream is done.
    const ended = (): void => this.ended(stream);
    stream.call.on('error', ended);
    stream.call.on('end', ended);
    stream.call.on('close', ended);
    for (const watcher of this.watchers) this.create(stream.call, watcher);
  }

  private create(call: WatchCall, watcher: Watcher): void {
    const id = String(this.nextId++);
    this.byId.set(id, watcher);
    call.write({
      create_request: {
        key: watcher.range.key,
        range_end: watcher.range.rangeEnd,
        start_revision: watcher.next,
        progress_notify: true,
        watch_id: id,
      },
    });
  }

  private receive(call: WatchCall, response: WatchResponse): void {
    this.reconnectMs = FIRST_RECONNECT_MS;
    const header = response.header === null ? undefined : Number(response.header.revision);
    if (header !== undefined) this.sawRevision(header);
    const watcher = this.byId.get(response.watch_id);
    if (watcher === undefined || !this.watchers.has(watcher)) return;
    if (response.canceled) {
      this.byId.delete(response.watch_id);
      const compacted = Number(response.compact_revision);
      if (compacted > 0) {
        // History gone up to the compaction revision (the oldest etcd can still read): the
        // caller reloads there, and the watch goes on with the changes after it.
        watcher.next = compacted + 1;
        this.hub.reset(watcher.hub, { revision: toStoreRevision(compacted) });
        this.create(call, watcher);
      } else {
        // Cancelled for another reason (the member lost its leader): start over elsewhere.
        this.restart();
      }
      return;
    }
    if (response.events.length > 0) {
      const events = response.events.flatMap((event) => this.fresh(watcher, event));
      const newest = Math.max(...response.events.map((event) => Number(event.kv?.mod_revision ?? 0)));
      watcher.next = Math.max(watcher.next, newest + 1);
      if (events.length > 0) this.hub.send(watcher.hub, events);
    } else if (!response.created && header !== undefined) {
      // A progress notification: nothing up to the header's revision is still to come.
      watcher.next = Math.max(watcher.next, header + 1);
    }
  }

  /** The event, unless the watcher already delivered its revision. */
  private fresh(watcher: Watcher, event: WatchEventWire): WatchEvent[] {
    const kv = event.kv;
    if (kv === null || Number(kv.mod_revision) < watcher.next) return [];
    return [
      {
        type: event.type === 'DELETE' ? 'delete' : 'put',
        key: decodeKey(kv.key),
        value: event.type === 'DELETE' ? EMPTY : kv.value,
        modRevision: toStoreRevision(Number(kv.mod_revision)),
      },
    ];
  }

  private ended(stream: { readonly call: WatchCall; readonly endpoint: Endpoint }): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.byId.clear();
    if (this.closed) return;
    this.client.failover(stream.endpoint);
    this.scheduleReconnect();
  }

  private restart(): void {
    const stream = this.stream;
    if (stream === undefined) return;
    stream.call.cancel();
    this.ended(stream);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    const delay = this.reconnectMs * (0.5 + Math.random() / 2);
    this.reconnectMs = Math.min(MAX_RECONNECT_MS, this.reconnectMs * 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }
}
