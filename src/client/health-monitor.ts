import type { EndpointPool } from './endpoint-pool.js';

/** One health check: whether the endpoint serves (it answered, unsealed) and its zone; rejects when unreachable. */
export type HealthProbe = (url: string) => Promise<{ readonly serving: boolean; readonly zone?: string }>;

export interface MonitorOptions {
  /** How often healthy endpoints are checked too (learning zones, noticing a sealed node); 0: never. */
  readonly intervalMs: number;
}

/**
 * Background health checks. A failed endpoint is checked when its backoff is due (the pool
 * says when) until it answers, and is then back in the pool; healthy ones are checked every
 * `intervalMs`. Timers never keep the process alive, and stop() ends them.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private readonly checking = new Set<string>();
  private stopped = false;

  constructor(
    private readonly pool: EndpointPool,
    private readonly probe: HealthProbe,
    private readonly options: MonitorOptions,
  ) {}

  start(): void {
    if (this.options.intervalMs > 0 && this.interval === undefined)
      this.interval = setInterval(() => this.checkHealthy(), this.options.intervalMs).unref();
  }

  /** A request just failed an endpoint: make sure its check is scheduled. */
  wake(): void {
    if (this.stopped) return;
    const { nextAt } = this.pool.dueChecks();
    if (nextAt === undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.checkDue(), Math.max(0, nextAt - this.pool.now())).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.interval !== undefined) clearInterval(this.interval);
  }

  private checkDue(): void {
    this.timer = undefined;
    const { due } = this.pool.dueChecks();
    void Promise.all(due.map((url) => this.check(url))).then(() => this.wake());
  }

  private checkHealthy(): void {
    for (const state of this.pool.states()) if (state.healthy) void this.check(state.url).then(() => this.wake());
  }

  private async check(url: string): Promise<void> {
    if (this.checking.has(url) || this.stopped) return;
    this.checking.add(url);
    try {
      const { serving, zone } = await this.probe(url);
      if (this.stopped) return;
      if (zone !== undefined) this.pool.zoned(url, zone);
      if (serving) this.pool.answered(url);
      else this.pool.failed(url);
    } catch {
      if (!this.stopped) this.pool.failed(url);
    } finally {
      this.checking.delete(url);
    }
  }
}
