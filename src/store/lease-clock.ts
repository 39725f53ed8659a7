/**
 * The deadlines of the SQLite store's leases, in memory: one timer for the earliest, which
 * calls `expire` for every lease past its deadline. As etcd does after a leader change, a lease
 * found in the file at open gets its full TTL again; the holder must then keep it alive.
 */
export class LeaseClock {
  private readonly deadlines = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly expire: (id: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts (or restarts) the lease's TTL from now. */
  track(id: string, ttlSeconds: number): void {
    this.deadlines.set(id, this.now() + ttlSeconds * 1000);
    this.schedule();
  }

  /** Whether the lease is known and its deadline has not passed. */
  alive(id: string): boolean {
    const deadline = this.deadlines.get(id);
    return deadline !== undefined && deadline > this.now();
  }

  /** Whole seconds left (as etcd reports them), or undefined when the lease is gone. */
  remainingSeconds(id: string): number | undefined {
    const deadline = this.deadlines.get(id);
    if (deadline === undefined || deadline <= this.now()) return undefined;
    return Math.floor((deadline - this.now()) / 1000);
  }

  forget(id: string): void {
    this.deadlines.delete(id);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.deadlines.clear();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.deadlines.size === 0) return;
    const earliest = Math.min(...this.deadlines.values());
    // Unref'd: a lease alone does not keep the process alive.
    this.timer = setTimeout(() => this.fire(), Math.max(0, earliest - this.now())).unref();
  }

  private fire(): void {
    const now = this.now();
    for (const [id, deadline] of [...this.deadlines]) {
      if (deadline > now) continue;
      this.deadlines.delete(id);
      this.expire(id);
    }
    this.schedule();
  }
}
