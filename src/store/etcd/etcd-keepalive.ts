/**
 * Lease renewals over etcd's LeaseKeepAlive stream: each keepAlive() writes the lease id and
 * waits for the answer to it (answers come in order, per id). A renewal is idempotent, so when
 * the stream fails the waiting renewals are sent again on a new stream (the next endpoint)
 * until their deadline; a TTL of 0 in the answer means the lease is gone.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { CofferError } from '../../errors/coffer-error.js';
import type { LeaseId } from '../state-store.js';
import type { EtcdClient, Endpoint } from './etcd-client.js';
import { METHODS, type LeaseIdRequest, type LeaseKeepAliveResponse } from './etcd-wire.js';

interface Waiter {
  readonly id: LeaseId;
  readonly resolve: (ttlSeconds: number) => void;
  readonly reject: (error: CofferError) => void;
  readonly timer: NodeJS.Timeout;
}

type KeepAliveCall = ClientDuplexStream<LeaseIdRequest, LeaseKeepAliveResponse>;

const RESEND_MS = 100;

export class EtcdKeepAlive {
  private stream: { readonly call: KeepAliveCall; readonly endpoint: Endpoint } | undefined;
  /** Renewals sent and not yet answered, oldest first. */
  private readonly waiting: Waiter[] = [];
  private resendTimer: NodeJS.Timeout | undefined;

  constructor(private readonly client: EtcdClient) {}

  keepAlive(id: LeaseId): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(waiter);
        reject(new CofferError('STORE_UNAVAILABLE', 'etcd did not answer the lease keep-alive in time'));
      }, this.client.timeoutMs);
      const waiter: Waiter = { id, resolve, reject, timer };
      this.waiting.push(waiter);
      this.send(waiter);
    });
  }

  close(): void {
    clearTimeout(this.resendTimer);
    this.stream?.call.cancel();
    this.stream = undefined;
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new CofferError('INTERNAL_ERROR', 'the state store is closed'));
    }
  }

  private send(waiter: Waiter): void {
    const stream = this.open();
    stream?.call.write({ ID: waiter.id });
  }

  private open(): { readonly call: KeepAliveCall; readonly endpoint: Endpoint } | undefined {
    if (this.stream) return this.stream;
    if (this.client.isClosed) return undefined;
    const stream = this.client.stream(METHODS.leaseKeepAlive);
    this.stream = stream;
    stream.call.on('data', (response: LeaseKeepAliveResponse) => this.answer(response));
    const ended = (): void => this.ended(stream);
    stream.call.on('error', ended);
    stream.call.on('end', ended);
    stream.call.on('close', ended);
    return stream;
  }

  private answer(response: LeaseKeepAliveResponse): void {
    const waiter = this.waiting.find((candidate) => candidate.id === response.ID);
    if (waiter === undefined) return;
    this.drop(waiter);
    const ttl = Number(response.TTL);
    if (ttl > 0) waiter.resolve(ttl);
    else waiter.reject(new CofferError('LEASE_NOT_FOUND'));
  }

  private drop(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const index = this.waiting.indexOf(waiter);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  private ended(stream: { readonly call: KeepAliveCall; readonly endpoint: Endpoint }): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    if (this.client.isClosed) return;
    this.client.failover(stream.endpoint);
    if (this.waiting.length === 0) return;
    // The answers on the old stream are lost: send every waiting renewal again.
    clearTimeout(this.resendTimer);
    this.resendTimer = setTimeout(() => {
      for (const waiter of [...this.waiting]) this.send(waiter);
    }, RESEND_MS);
  }
}
