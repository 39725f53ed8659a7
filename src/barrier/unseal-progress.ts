import { timingSafeEqual } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { Barrier } from './barrier.js';
import { combineShares, type SealConfig } from './unseal-shares.js';

export interface UnsealStatus {
  readonly sealed: boolean;
  readonly threshold: number;
  readonly shares: number;
  /** Shares received so far toward the threshold. */
  readonly progress: number;
}

/**
 * Collects unseal shares until the threshold is reached, then reconstructs the root key,
 * unseals the barrier and wipes every share and the root key from memory. A wrong set resets
 * the progress, so a bad share cannot be mixed into the next attempt.
 */
export class UnsealProgress {
  private received: Buffer[] = [];

  constructor(
    private readonly barrier: Barrier,
    private readonly config: SealConfig,
  ) {}

  status(): UnsealStatus {
    return {
      sealed: this.barrier.sealed,
      threshold: this.config.threshold,
      shares: this.config.shares,
      progress: this.received.length,
    };
  }

  async submit(share: Buffer): Promise<UnsealStatus> {
    if (!this.barrier.sealed) throw new CofferError('ALREADY_UNSEALED');
    // A repeated share adds nothing toward the threshold; ignore it rather than count it twice.
    if (!this.received.some((held) => held.length === share.length && timingSafeEqual(held, share))) {
      this.received.push(Buffer.from(share));
    }
    if (this.received.length < this.config.threshold) return this.status();
    const shares = this.received;
    this.received = [];
    let rootKey: Buffer | undefined;
    try {
      rootKey = await combineShares(shares);
      await this.barrier.unseal(rootKey);
    } finally {
      rootKey?.fill(0);
      for (const held of shares) held.fill(0);
    }
    return this.status();
  }

  reset(): void {
    for (const held of this.received) held.fill(0);
    this.received = [];
  }
}
