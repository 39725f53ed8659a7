/**
 * Keeps this node's live record (`members/<nodeId>`) in the store: written under a lease, the
 * lease renewed and the record refreshed (seal state, health, load) about every third of the
 * TTL, jittered so the nodes of a cluster do not renew in step. A lost lease (the store forgot
 * it, or the node was cut off longer than the TTL) or a record someone else changed registers
 * again under a new lease — unless this node's certificate was revoked: a removed node stops
 * registering and reports it once.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { isCofferError } from '../../errors/coffer-error.js';
import type { LeaseId, StateStore } from '../../store/state-store.js';
import { encodeMember, memberPath, type MemberHealth, type MemberLoad, type MemberRecord } from './member-record.js';

export interface RegistrarDeps {
  readonly store: Pick<StateStore, 'grantLease' | 'keepAliveLease' | 'revokeLease' | 'txn'>;
  readonly nodeId: string;
  readonly zone: string | undefined;
  readonly version: string;
  readonly sealed: () => boolean;
  readonly load: () => MemberLoad;
  /** Whether this node's own certificate is revoked (it was removed from the cluster). */
  readonly removed: () => boolean;
  /** Called once when the node finds itself removed. */
  readonly onRemoved?: () => void;
  readonly logger: Logger;
  readonly ttlSeconds?: number;
  readonly clock?: () => Date;
}

export const DEFAULT_MEMBER_TTL_SECONDS = 10;
/** A node that had to re-register reports itself 'degraded' for this many renewals. */
const DEGRADED_RENEWALS = 3;

export class MemberRegistrar {
  private url: string | undefined;
  private lease: LeaseId | undefined;
  private modRevision = 0;
  private startedAt = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private stopping = false;
  private degradedFor = 0;
  private left = false;

  constructor(private readonly deps: RegistrarDeps) {}

  private get ttl(): number {
    return this.deps.ttlSeconds ?? DEFAULT_MEMBER_TTL_SECONDS;
  }

  /** Registers at once (the node listens at `url`), then keeps the record alive. */
  async start(url: string): Promise<void> {
    this.url = url;
    this.startedAt = this.now().toISOString();
    await this.tick();
  }

  /** Seal state changed: publish it now rather than at the next renewal. */
  refresh(): void {
    if (this.url === undefined || this.stopped) return;
    clearTimeout(this.timer);
    void this.tick();
  }

  /** Stops renewing, deletes the record and revokes the lease (clients stop choosing this node). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
    this.stopped = true;
    clearTimeout(this.timer);
    const lease = this.lease;
    this.lease = undefined;
    if (lease === undefined) return;
    await this.deps.store.revokeLease(lease).catch(() => undefined);
  }

  get removed(): boolean {
    return this.left;
  }

  private async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.renew().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped || this.stopping || this.left) return;
    // A third of the TTL, minus up to a fifth of that: jitter, and always inside the TTL.
    const period = (this.ttl * 1000) / 3;
    this.timer = setTimeout(() => void this.tick(), period - randomInt(0, Math.ceil(period / 5) + 1)).unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped || this.stopping) return;
    try {
      if (this.deps.removed()) return this.leave();
      if (this.lease !== undefined) {
        try {
          await this.deps.store.keepAliveLease(this.lease);
        } catch (error) {
          if (!isCofferError(error, 'LEASE_NOT_FOUND')) throw error;
          this.deps.logger.warn({ node: this.deps.nodeId }, 'the membership lease was lost: registering again');
          this.lease = undefined;
          this.degradedFor = DEGRADED_RENEWALS;
        }
      }
      if (this.lease === undefined) return await this.register();
      const written = await this.write([{ key: memberPath(this.deps.nodeId), modRevision: this.modRevision }]);
      if (!written) {
        // Deleted or overwritten by someone else (a removal, most likely): look again first.
        if (this.deps.removed()) return this.leave();
        this.degradedFor = DEGRADED_RENEWALS;
        await this.register();
      } else if (this.degradedFor > 0) this.degradedFor--;
    } catch (error) {
      this.degradedFor = DEGRADED_RENEWALS;
      this.deps.logger.warn(
        { code: isCofferError(error) ? error.code : 'INTERNAL_ERROR' },
        'the membership record could not be renewed',
      );
    }
  }

  private async register(): Promise<void> {
    const grant = await this.deps.store.grantLease(this.ttl);
    this.lease = grant.id;
    // Unconditional: the record is this node's own; one left by its previous run is replaced.
    await this.write([]);
  }

  private async write(compares: { key: string; modRevision: number }[]): Promise<boolean> {
    const lease = this.lease!;
    const record: MemberRecord = {
      formatVersion: 1,
      nodeId: this.deps.nodeId,
      ...(this.deps.zone !== undefined && { zone: this.deps.zone }),
      url: this.url!,
      version: this.deps.version,
      sealed: this.deps.sealed(),
      health: this.health(),
      load: this.deps.load(),
      lease,
      startedAt: this.startedAt,
      updatedAt: this.now().toISOString(),
    };
    const result = await this.deps.store.txn(compares, [
      { type: 'put', key: memberPath(this.deps.nodeId), value: encodeMember(record), lease },
    ]);
    if (result.succeeded) this.modRevision = result.revision;
    return result.succeeded;
  }

  private health(): MemberHealth {
    return this.degradedFor > 0 ? 'degraded' : 'ok';
  }

  private leave(): void {
    if (this.left) return;
    this.left = true;
    this.deps.logger.error(
      { node: this.deps.nodeId },
      "this node's certificate was revoked: it was removed from the cluster and no longer registers",
    );
    const lease = this.lease;
    this.lease = undefined;
    if (lease !== undefined) void this.deps.store.revokeLease(lease).catch(() => undefined);
    this.deps.onRemoved?.();
  }

  private now(): Date {
    return (this.deps.clock ?? (() => new Date()))();
  }
}
