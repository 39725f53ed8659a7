/**
 * The node's load as its membership record publishes it: requests in flight, and the request
 * rate over the last minute (sixty one-second buckets), so clients and operators can see which
 * node is busy without asking each one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MemberLoad } from './member-record.js';

const BUCKETS = 60;

export class LoadMeter {
  private inFlight = 0;
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  /** The second each bucket counts, so a bucket from a minute ago is not mistaken for now. */
  private readonly seconds = new Array<number>(BUCKETS).fill(-1);
  private readonly open = new WeakSet<FastifyRequest>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts every request the server takes (before any check: a refused request is load too). */
  attach(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      this.open.add(request);
      this.started();
    });
    const finished = async (request: FastifyRequest): Promise<void> => {
      // onResponse and onRequestAbort may both fire for one request: count it once.
      if (this.open.delete(request)) this.finished();
    };
    app.addHook('onResponse', finished);
    app.addHook('onRequestAbort', finished);
  }

  started(): void {
    this.inFlight++;
    const second = Math.floor(this.now() / 1000);
    const slot = second % BUCKETS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += 1;
  }

  finished(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  current(): MemberLoad {
    const second = Math.floor(this.now() / 1000);
    let total = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const at = this.seconds[slot]!;
      if (at > second - BUCKETS && at <= second) total += this.counts[slot]!;
    }
    return { inFlight: this.inFlight, ratePerSecond: Math.round((total / BUCKETS) * 100) / 100 };
  }
}
