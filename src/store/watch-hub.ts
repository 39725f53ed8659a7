/**
 * Fan-out of committed changes to prefix watchers. Events are queued and delivered by one
 * drain loop, so a listener that writes to the store from inside its callback cannot make
 * other listeners see a later revision before an earlier one.
 */
import type { Unsubscribe, WatchEvent } from './state-store.js';

type Listener = (event: WatchEvent) => void;

interface Watcher {
  readonly prefix: string;
  readonly listener: Listener;
  active: boolean;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly queue: WatchEvent[] = [];
  private draining = false;

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  add(prefix: string, listener: Listener): Unsubscribe {
    const watcher: Watcher = { prefix, listener, active: true };
    this.watchers.add(watcher);
    return () => {
      // Marked inactive as well as removed: events already being delivered skip it too.
      watcher.active = false;
      this.watchers.delete(watcher);
    };
  }

  /** Queues the events of one committed transaction, in operation order, and delivers them. */
  publish(events: readonly WatchEvent[]): void {
    this.queue.push(...events);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let event = this.queue.shift(); event !== undefined; event = this.queue.shift()) {
        this.deliver(event);
      }
    } finally {
      this.draining = false;
    }
  }

  clear(): void {
    for (const watcher of this.watchers) watcher.active = false;
    this.watchers.clear();
    this.queue.length = 0;
  }

  private deliver(event: WatchEvent): void {
    for (const watcher of [...this.watchers]) {
      if (!watcher.active || !event.key.startsWith(watcher.prefix)) continue;
      try {
        watcher.listener(event);
      } catch (error) {
        this.reportListenerError(error);
      }
    }
  }

  private reportListenerError(error: unknown): void {
    try {
      this.onListenerError(error);
    } catch {
      // The reporter itself failed; delivery to the other listeners must still go on.
    }
  }
}
