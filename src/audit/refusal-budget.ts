/**
 * The budget for audited refusals of requests that carry no valid credential. Each such refusal
 * would be one event of the hash chain — one consensus write — so an unauthenticated caller
 * could make the cluster write without bound and bury the real events. A source (the face and
 * the remote address) has its first refusals of a window audited in full; past that its
 * refusals are counted, and one `audit.refusals-suppressed` event says how many, when and why.
 * The caller still gets its refusal exactly as before; only the audit is summarized.
 *
 * The budget is per node, in memory: it bounds what each node writes. Nothing counted is lost
 * silently: a window that ends, the node's seal and its close write the pending summaries; a
 * summary that cannot be written is kept (merged per source) for the next try.
 */
import { isIPv6 } from 'node:net';
import type { AuditEventInput } from './audit-event.js';
import type { RecordWriter } from '../records/record-writer.js';

/** The rules, as numbers: a test may shorten them through the constructor, never production. */
export interface RefusalRules {
  /** Refusals of one source audited in full in a window. */
  readonly auditedPerWindow: number;
  /** A source's window, from its first refusal. */
  readonly windowMs: number;
  /** Distinct sources of one face tracked at once; past it, its new ones share `<face>:other`. */
  readonly maxSources: number;
  /** Distinct reasons counted in one summary; past it, the rest count as `other`. */
  readonly maxReasons: number;
  /** How often the node's timer closes ended windows (refusals close them too, lazily). */
  readonly sweepMs: number;
}

export const REFUSAL_RULES: RefusalRules = {
  auditedPerWindow: 10,
  windowMs: 60_000,
  maxSources: 100,
  maxReasons: 16,
  sweepMs: 10_000,
};

/** The ways in where a caller without a credential can be refused. */
export type RefusalFace = 'api' | 'kms' | 'xks' | 'peer-unseal';

/** Who was refused: the face and the remote address (never anything the caller sent). */
export interface RefusalOrigin {
  readonly face: RefusalFace;
  readonly address: string;
}

export const SUPPRESSED_ACTION = 'audit.refusals-suppressed';

/**
 * The origin of a request on `socket`. A socket already closed still has a source: `unknown`.
 * An IPv6 client is its /64, as one host is usually given a whole /64 to pick addresses from.
 */
export function originOf(face: RefusalFace, socket: { readonly remoteAddress?: string | undefined }): RefusalOrigin {
  return { face, address: socket.remoteAddress === undefined ? 'unknown' : sourceAddress(socket.remoteAddress) };
}

/** An IPv4 address as it is (also when IPv4-mapped), an IPv6 one as its /64 prefix. */
export function sourceAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const [head, tail] = bare.split('::') as [string, string | undefined];
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  // '::' stands for the zero groups missing (a dotted IPv4 tail lies past the first four anyway).
  const full =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

interface Window {
  readonly face: RefusalFace;
  readonly source: string;
  from: number;
  to: number;
  audited: number;
  suppressed: number;
  readonly reasons: Map<string, number>;
}

export interface RefusalBudgetDeps {
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly clock?: () => Date;
  readonly rules?: Partial<RefusalRules>;
  /** A summary written lazily (on a refusal) that failed: it is kept; this reports it. */
  readonly onError?: (error: unknown) => void;
}

export class RefusalBudget {
  readonly rules: RefusalRules;
  private readonly windows = new Map<string, Window>();
  /** Closed windows with refusals counted and not yet summarized, one per source. */
  private readonly pending = new Map<string, Window>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RefusalBudgetDeps) {
    this.rules = { ...REFUSAL_RULES, ...deps.rules };
  }

  /**
   * Audits `event`, a refusal of a request without a valid credential, from `origin` — in
   * full while the source's window has budget left, else counted for its summary. Without an
   * origin (an in-process caller, not the network) it is audited in full. Throws only what
   * the writer throws for an event audited in full, as before.
   */
  async audit(origin: RefusalOrigin | undefined, event: AuditEventInput): Promise<void> {
    if (origin === undefined) {
      await this.deps.writer.commit({ event });
      return;
    }
    // Every decision is made before the first await: concurrent refusals count exactly.
    const now = this.now();
    const closed = this.close((window) => now >= window.from + this.rules.windowMs);
    const window = this.windowOf(origin, now);
    const inFull = window.audited < this.rules.auditedPerWindow;
    if (inFull) window.audited++;
    else this.count(window, reasonOf(event), now);
    // Only a window closed by this very refusal is written here (a summary kept after a failed
    // write waits for the timer): a flood while the store is down is not a flood of retries.
    if (closed) await this.writeSummaries().catch((error: unknown) => this.deps.onError?.(error));
    if (inFull) await this.deps.writer.commit({ event });
  }

  /** Closes the windows that ended and writes their summaries (the node's timer). */
  sweep(): Promise<void> {
    const now = this.now();
    this.close((window) => now >= window.from + this.rules.windowMs);
    return this.writeSummaries();
  }

  /** Closes every window now and writes every pending summary (at seal and at close). */
  flush(): Promise<void> {
    this.close(() => true);
    return this.writeSummaries();
  }

  private windowOf(origin: RefusalOrigin, now: number): Window {
    const own = `${origin.face}:${origin.address}`;
    const source =
      this.windows.has(own) || this.tracked(origin.face) < this.rules.maxSources ? own : `${origin.face}:other`;
    let window = this.windows.get(source);
    if (!window) {
      window = { face: origin.face, source, from: now, to: now, audited: 0, suppressed: 0, reasons: new Map() };
      this.windows.set(source, window);
    }
    return window;
  }

  /** The sources of `face` tracked now: each face has its own cap, so a flood on one leaves the others theirs. */
  private tracked(face: RefusalFace): number {
    let n = 0;
    for (const window of this.windows.values()) if (window.face === face) n++;
    return n;
  }

  private count(window: Window, reason: string, now: number): void {
    window.suppressed++;
    window.to = now;
    const key = window.reasons.has(reason) || window.reasons.size < this.rules.maxReasons ? reason : 'other';
    window.reasons.set(key, (window.reasons.get(key) ?? 0) + 1);
  }

  /**
   * Drops the windows `ended` says are over; those with refusals counted await their summary.
   * True when one was queued.
   */
  private close(ended: (window: Window) => boolean): boolean {
    let queued = false;
    for (const [source, window] of this.windows) {
      if (!ended(window)) continue;
      this.windows.delete(source);
      if (window.suppressed === 0) continue;
      this.keep(window);
      queued = true;
    }
    return queued;
  }

  /**
   * Queues a summary; one already waiting for the source (a failed write) absorbs it. While
   * writes fail, new sources keep coming: past maxSources waiting, a face's share one summary.
   */
  private keep(window: Window): void {
    const full = !this.pending.has(window.source) && this.pending.size >= this.rules.maxSources;
    const source = full ? `${window.face}:other` : window.source;
    const waiting = this.pending.get(source);
    if (!waiting) {
      this.pending.set(source, full ? { ...window, source, reasons: new Map(window.reasons) } : window);
      return;
    }
    waiting.from = Math.min(waiting.from, window.from);
    waiting.to = Math.max(waiting.to, window.to);
    waiting.audited += window.audited;
    waiting.suppressed += window.suppressed;
    for (const [reason, n] of window.reasons) {
      const key = waiting.reasons.has(reason) || waiting.reasons.size < this.rules.maxReasons ? reason : 'other';
      waiting.reasons.set(key, (waiting.reasons.get(key) ?? 0) + n);
    }
  }

  /** Writes the pending summaries, one event each; writes never overlap, a failed one is kept. */
  private writeSummaries(): Promise<void> {
    const next = this.writing.then(() => this.writeNow());
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeNow(): Promise<void> {
    const taken = [...this.pending.values()];
    this.pending.clear();
    for (const [index, window] of taken.entries()) {
      try {
        await this.deps.writer.commit({ event: summary(window) });
      } catch (error) {
        for (const unwritten of taken.slice(index)) this.keep(unwritten);
        throw error;
      }
    }
  }

  private now(): number {
    return (this.deps.clock ?? (() => new Date()))().getTime();
  }
}

/** Why a refusal was made, as its writer named it: the details' reason, else the code. */
function reasonOf(event: AuditEventInput): string {
  const reason = event.details?.reason;
  const why = typeof reason === 'string' && reason !== '' ? reason : (event.code ?? 'refused');
  return `${event.action}/${why}`.slice(0, 128);
}

/**
 * The one event for a window's counted refusals. Only what the budget itself knows goes in —
 * the source, times, counts and the reasons' names — never a field of a refused request.
 */
function summary(window: Window): AuditEventInput {
  const reasons = Object.fromEntries([...window.reasons].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    actor: 'system',
    action: SUPPRESSED_ACTION,
    target: `refusals/${window.source}`,
    result: 'failure',
    details: {
      face: window.face,
      source: window.source,
      count: window.suppressed,
      audited: window.audited,
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      reasons: JSON.stringify(reasons),
    },
  };
}
