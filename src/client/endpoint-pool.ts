import type { EndpointSpec } from './endpoints.js';

/** What the SDK knows of one endpoint. */
export interface EndpointState {
  readonly url: string;
  readonly zone: string | undefined;
  /** False from a failure until a health check (or a request) is answered again. */
  readonly healthy: boolean;
  /** Requests sent to it and not yet answered. */
  readonly outstanding: number;
}

interface Endpoint {
  url: string;
  zone: string | undefined;
  healthy: boolean;
  outstanding: number;
  /** Failures since it last answered: the health check backs off with them. */
  failures: number;
  /** When it is next health-checked (ms, the pool's clock). */
  nextCheckAt: number;
  /** When it was last picked: ties go to the one picked longest ago. */
  lastPicked: number;
}

export interface PoolOptions {
  /** The client's own zone: its endpoints are preferred while any of them is healthy. */
  readonly zone?: string;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** The first health check after a failure, doubled on each failure up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * The endpoints and the choice among them, as rules:
 *
 *   | order | an endpoint is preferred when …                                          |
 *   |-------|---------------------------------------------------------------------------|
 *   | 1     | it is healthy (when none is, every endpoint is tried: one may be back)    |
 *   | 2     | it is in the client's zone (when one such is among the candidates)        |
 *   | 3     | it has the fewest requests outstanding                                   |
 *   | 4     | it was picked longest ago (spreads equal load around)                    |
 *
 * A failed endpoint is out until it answers: a health check with jittered exponential backoff.
 */
export class EndpointPool {
  private readonly endpoints: Endpoint[] = [];
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private picks = 0;

  constructor(
    specs: readonly EndpointSpec[],
    private readonly options: PoolOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.merge(specs);
    if (this.endpoints.length === 0) throw new TypeError('at least one endpoint is required');
  }

  now(): number {
    return this.clock();
  }

  get urls(): readonly string[] {
    return this.endpoints.map((endpoint) => endpoint.url);
  }

  states(): readonly EndpointState[] {
    return this.endpoints.map(({ url, zone, healthy, outstanding }) => ({ url, zone, healthy, outstanding }));
  }

  /** Adds endpoints not known yet; a zone learned here fills in one not known. */
  merge(specs: readonly EndpointSpec[]): void {
    for (const spec of specs) {
      const known = this.endpoints.find((endpoint) => endpoint.url === spec.url);
      if (known) known.zone ??= spec.zone;
      else
        this.endpoints.push({
          url: spec.url,
          zone: spec.zone,
          healthy: true,
          outstanding: 0,
          failures: 0,
          nextCheckAt: 0,
          lastPicked: -1,
        });
    }
  }

  /** The endpoint for the next attempt, among those not tried yet for this request. */
  pick(tried: ReadonlySet<string>): string | undefined {
    const untried = this.endpoints.filter((endpoint) => !tried.has(endpoint.url));
    const healthy = untried.filter((endpoint) => endpoint.healthy);
    const candidates = healthy.length > 0 ? healthy : untried;
    const local = candidates.filter((endpoint) => this.inZone(endpoint));
    const chosen = (local.length > 0 ? local : candidates).reduce<Endpoint | undefined>(
      (best, endpoint) =>
        best === undefined ||
        endpoint.outstanding < best.outstanding ||
        (endpoint.outstanding === best.outstanding && endpoint.lastPicked < best.lastPicked)
          ? endpoint
          : best,
      undefined,
    );
    if (chosen) chosen.lastPicked = this.picks++;
    return chosen?.url;
  }

  begin(url: string): void {
    this.find(url).outstanding++;
  }

  end(url: string): void {
    const endpoint = this.find(url);
    endpoint.outstanding = Math.max(0, endpoint.outstanding - 1);
  }

  /** It answered: healthy again, its backoff reset. */
  answered(url: string): void {
    const endpoint = this.find(url);
    endpoint.healthy = true;
    endpoint.failures = 0;
  }

  /** The zone the node itself says it is in (its health answer). */
  zoned(url: string, zone: string): void {
    this.find(url).zone = zone;
  }

  /** It failed (unreachable, or sealed): out until a health check it passes, after a backoff. */
  failed(url: string): void {
    const endpoint = this.find(url);
    endpoint.healthy = false;
    const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** endpoint.failures);
    endpoint.failures++;
    // Full jitter over the upper half: clients that lost one node do not all knock at once.
    endpoint.nextCheckAt = this.clock() + backoff * (0.5 + this.random() / 2);
  }

  /** The failed endpoints whose health check is due, and when the next one will be. */
  dueChecks(): { due: readonly string[]; nextAt: number | undefined } {
    const now = this.clock();
    const down = this.endpoints.filter((endpoint) => !endpoint.healthy);
    return {
      due: down.filter((endpoint) => endpoint.nextCheckAt <= now).map((endpoint) => endpoint.url),
      nextAt: down.length === 0 ? undefined : Math.min(...down.map((endpoint) => endpoint.nextCheckAt)),
    };
  }

  private inZone(endpoint: Endpoint): boolean {
    return this.options.zone !== undefined && endpoint.zone === this.options.zone;
  }

  private find(url: string): Endpoint {
    const endpoint = this.endpoints.find((candidate) => candidate.url === url);
    if (!endpoint) throw new Error(`unknown endpoint ${url}`);
    return endpoint;
  }
}
