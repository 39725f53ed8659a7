/**
 * Fan-out of committed changes to prefix watchers. Every delivery goes through one queue and
 * one drain loop, so a listener that writes to the store from inside its callback cannot make
 * another listener see a later revision before an earlier one, and a watcher's replayed
 * history always comes before the live changes that follow it.
 */
import type { WatchEvent, WatchOptions, WatchReset } from './state-store.js';

type Listener = (event: WatchEvent) => void;

/** One subscription, as the store that feeds it sees it. */
export interface HubWatcher {
  readonly prefix: string;
  /** Live events at or below this revision are skipped: they were replayed, or came before the start. */
  after: number;
  readonly active: boolean;
  unsubscribe(): void;
}

interface Watcher extends HubWatcher {
  readonly listener: Listener;
  readonly onReset: WatchOptions['onReset'];
  active: boolean;
}

type Item =
  { readonly event: WatchEvent; readonly to?: Watcher } | { readonly reset: WatchReset; readonly to: Watcher };

export interface WatchHubReporters {
  /** A listener threw. */
  readonly onListenerError: (error: unknown) => void;
  /** A watcher without onReset lost history. */
  readonly onUnhandledReset: (reset: WatchReset) => void;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly queue: Item[] = [];
  private draining = false;
  private drainScheduled = false;

  constructor(private readonly reporters: WatchHubReporters) {}

  add(prefix: string, listener: Listener, options: { after: number; onReset?: WatchOptions['onReset'] }): HubWatcher {
    const watchers = this.watchers;
    const watcher: Watcher = {
      prefix,
      listener,
      onReset: options.onReset,
      after: options.after,
      active: true,
      unsubscribe() {
        // Marked inactive as well as removed: items already queued for it are skipped too.
        watcher.active = false;
        watchers.delete(watcher);
      },
    };
    this.watchers.add(watcher);
    return watcher;
  }

  /** Queues the events of one committed transaction, in operation order, for every watcher that matches. */
  publish(events: readonly WatchEvent[]): void {
    for (const event of events) this.queue.push({ event });
    this.drain();
  }

  /**
   * Queues events for one watcher. `deferred` delivers them from a microtask: a replay queued
   * inside watch() reaches the listener after watch() returned, yet before any change
   * published later.
   */
  send(to: HubWatcher, events: readonly WatchEvent[], deferred = false): void {
    for (const event of events) this.queue.push({ event, to: to as Watcher });
    this.schedule(deferred);
  }

  /** Queues a reset for one watcher: its onReset, or the unhandled-reset reporter. */
  reset(to: HubWatcher, reset: WatchReset, deferred = false): void {
    this.queue.push({ reset, to: to as Watcher });
    this.schedule(deferred);
  }

  clear(): void {
    for (const watcher of this.watchers) watcher.active = false;
    this.watchers.clear();
    this.queue.length = 0;
  }

  private schedule(deferred: boolean): void {
    if (!deferred) return this.drain();
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) this.deliver(item);
    } finally {
      this.draining = false;
    }
  }

  private deliver(item: Item): void {
    if ('reset' in item) {
      if (!item.to.active) return;
      const onReset = item.to.onReset;
      this.guarded(() => (onReset ? onReset(item.reset) : this.reporters.onUnhandledReset(item.reset)));
      return;
    }
    const { event, to } = item;
    if (to !== undefined) {
      if (to.active) this.guarded(() => to.listener(event));
      return;
    }
    for (const watcher of [...this.watchers]) {
      if (!watcher.active || event.modRevision <= watcher.after || !event.key.startsWith(watcher.prefix)) continue;
      this.guarded(() => watcher.listener(event));
    }
  }

  private guarded(call: () => void): void {
    try {
      call();
    } catch (error) {
      try {
        this.reporters.onListenerError(error);
      } catch {
        // The reporter itself failed; delivery to the other listeners must still go on.
      }
    }
  }
}
