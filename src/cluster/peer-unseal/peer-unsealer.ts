/**
 * A node that starts sealed asks its unsealed peers for the root key until one hands it over:
 * the peers its store lists as live and unsealed, its own zone first, the least loaded first.
 * Between rounds it waits with exponential backoff and jitter. It stops once the node is
 * unsealed, whether by a peer or by shares. When every node is sealed or down nobody answers,
 * and the node waits for M-of-N unseal shares like any other: a node never unseals from a
 * sealed peer (a sealed peer has no root key, and refuses).
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { isCofferError } from '../../errors/coffer-error.js';
import type { MemberRecord } from '../membership/member-record.js';

export interface PeerUnsealerDeps {
  readonly nodeId: string;
  readonly zone: string | undefined;
  readonly sealed: () => boolean;
  readonly members: () => Promise<readonly MemberRecord[]>;
  readonly ask: (url: string) => Promise<{ rootKey: Buffer; peerId: string }>;
  readonly unseal: (rootKey: Buffer, peerId: string) => Promise<void>;
  readonly logger: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

export class PeerUnsealer {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: PeerUnsealerDeps) {}

  start(): void {
    if (this.loop || !this.deps.sealed()) return;
    this.loop = this.run();
  }

  /** Resolves once the loop ended (unsealed, or stopped). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  /** The peers to ask, in order: unsealed, not this node, own zone first, then by load. */
  static candidates(members: readonly MemberRecord[], self: string, zone: string | undefined): MemberRecord[] {
    return members
      .filter((member) => !member.sealed && member.nodeId !== self)
      .sort(
        (a, b) =>
          Number(b.zone === zone && zone !== undefined) - Number(a.zone === zone && zone !== undefined) ||
          Number(a.health !== 'ok') - Number(b.health !== 'ok') ||
          a.load.inFlight - b.load.inFlight,
      );
  }

  private async run(): Promise<void> {
    let backoff = this.deps.initialBackoffMs ?? INITIAL_BACKOFF_MS;
    const max = this.deps.maxBackoffMs ?? MAX_BACKOFF_MS;
    while (!this.stopped && this.deps.sealed()) {
      if (await this.round()) return;
      await this.sleep(backoff + randomInt(0, Math.ceil(backoff / 4) + 1));
      backoff = Math.min(max, backoff * 2);
    }
  }

  /** One pass over the candidates; true once unsealed. */
  private async round(): Promise<boolean> {
    let members: readonly MemberRecord[];
    try {
      members = await this.deps.members();
    } catch (error) {
      this.deps.logger.warn({ code: codeOf(error) }, 'peer unseal: the membership list could not be read');
      return false;
    }
    const candidates = PeerUnsealer.candidates(members, this.deps.nodeId, this.deps.zone);
    if (candidates.length === 0) {
      this.deps.logger.info('peer unseal: no unsealed peer; waiting (or unseal with shares)');
      return false;
    }
    for (const peer of candidates) {
      if (this.stopped || !this.deps.sealed()) return !this.deps.sealed();
      try {
        const { rootKey, peerId } = await this.deps.ask(peer.url);
        if (!this.deps.sealed()) {
          rootKey.fill(0);
          return true;
        }
        await this.deps.unseal(rootKey, peerId);
        this.deps.logger.info({ peer: peerId }, 'unsealed from a peer');
        return true;
      } catch (error) {
        this.deps.logger.warn(
          { peer: peer.nodeId, code: codeOf(error), detail: isCofferError(error) ? error.detail : undefined },
          'peer unseal attempt failed',
        );
      }
    }
    return !this.deps.sealed();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms).unref();
    });
  }
}

function codeOf(error: unknown): string {
  return isCofferError(error) ? error.code : 'INTERNAL_ERROR';
}
