import { CofferError } from '../errors/coffer-error.js';
import { checkDataLength } from './limits.js';

/**
 * Total input one multi-part operation may take (docs/reference/api.md, "Multi-part"). Streams
 * that must hold data until final (AES-GCM decrypt) would otherwise grow without bound.
 */
export const MAX_MULTIPART_BYTES = 16 * 1024 * 1024;

/**
 * The running count of a multi-part operation's input: each part within the single-part limit,
 * the whole within MAX_MULTIPART_BYTES (DATA_LEN_RANGE otherwise), and no use after final.
 */
export class PartBudget {
  private total = 0;
  private finished = false;

  constructor(private readonly limit: number = MAX_MULTIPART_BYTES) {}

  /** Bytes taken so far. */
  get bytes(): number {
    return this.total;
  }

  /** Counts a part; throws before any state changes when it does not fit. */
  take(chunk: Buffer): void {
    this.open();
    checkDataLength(chunk);
    if (this.total + chunk.length > this.limit) {
      throw new CofferError('DATA_LEN_RANGE', `a multi-part operation takes at most ${this.limit} bytes`);
    }
    this.total += chunk.length;
  }

  /** Marks the operation finished: later parts are a caller bug. */
  finish(): void {
    this.open();
    this.finished = true;
  }

  private open(): void {
    if (this.finished) throw new CofferError('INTERNAL_ERROR', 'the multi-part operation has already finished');
  }
}
