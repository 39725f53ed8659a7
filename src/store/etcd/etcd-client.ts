/**
 * The connection to an etcd cluster: one gRPC channel per endpoint, a current endpoint that
 * moves on when one fails, a deadline on every call, and retries only where they are safe —
 * a read anywhere until its deadline, a write only when the failure proves it was not applied.
 * Every call carries etcd's `hasleader` metadata, so a member cut off from its leader refuses
 * at once (and a watch stream on it ends) instead of serving stale data or hanging.
 */
import { isIP } from 'node:net';
import {
  Client,
  credentials,
  Metadata,
  type ChannelCredentials,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { CofferError } from '../../errors/coffer-error.js';
import { type CallKind, finalError, mayRetry, verdictOf } from './etcd-errors.js';
import type { Method } from './etcd-wire.js';

export interface EtcdTls {
  /** The CA that issued the etcd members' server certificates. */
  readonly ca: Buffer;
  /** A client certificate and its key, for etcd's --client-cert-auth. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface EtcdClientOptions {
  /** `host:port` of each member ([v6]:port for IPv6). */
  readonly endpoints: readonly string[];
  /** Without TLS, every endpoint must be a loopback address. */
  readonly tls?: EtcdTls;
  /** The deadline of each call, retries included. */
  readonly timeoutMs?: number;
  /**
   * The longest one attempt of a txn whose fate can be read (etcd-txn-fate.ts) waits for its
   * answer. A proposal the etcd leader took with it when it died is never answered: past this,
   * the store reads what became of the txn instead of waiting out the whole deadline. Longer
   * than a commit takes on a loaded machine; an attempt cut while its commit was only slow
   * costs a read. Other writes (no fate to read) wait for the whole deadline.
   */
  readonly writeAttemptMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_WRITE_ATTEMPT_MS = 1500;
const MAX_ENDPOINTS = 16;
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 500;

const CHANNEL_OPTIONS = {
  // Pings find a member that vanished without a reset; etcd's --grpc-keepalive-min-time is 5 s.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // A restarted member is found again quickly.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  // Pages are bounded by MAX_RANGE_LIMIT values of MAX_VALUE_BYTES, more than gRPC's 4 MiB default.
  'grpc.max_receive_message_length': -1,
};

const ENDPOINT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/;
const LOOPBACK_NAMES = new Set(['localhost', '::1']);

export interface Endpoint {
  readonly address: string;
  readonly client: Client;
}

function checkEndpoint(endpoint: string, tls: boolean): string {
  const match = ENDPOINT.exec(endpoint);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !(port >= 1 && port <= 65535)) {
    throw new CofferError('INVALID_FIELD', 'an etcd endpoint is host:port (or [IPv6]:port)');
  }
  if (match?.[1] !== undefined && isIP(host) !== 6)
    throw new CofferError('INVALID_FIELD', 'an etcd endpoint has a bad IPv6 address');
  const loopback = LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
  if (!tls && !loopback) {
    throw new CofferError('INVALID_FIELD', 'plaintext etcd is allowed on loopback only: use etcds:// with a CA');
  }
  return endpoint;
}

/** Refuses no endpoint or too many, a malformed one, and a plaintext one off loopback. */
export function checkEndpoints(endpoints: readonly string[], tls: boolean): readonly string[] {
  if (endpoints.length < 1 || endpoints.length > MAX_ENDPOINTS) {
    throw new CofferError('INVALID_FIELD', `etcd needs 1 to ${MAX_ENDPOINTS} endpoints`);
  }
  return endpoints.map((endpoint) => checkEndpoint(endpoint, tls));
}

function channelCredentials(tls: EtcdTls | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new CofferError('INVALID_FIELD', 'an etcd client certificate needs its key, and a key its certificate');
  }
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class EtcdClient {
  readonly timeoutMs: number;
  readonly writeAttemptMs: number;
  private readonly endpoints: readonly Endpoint[];
  private current = 0;
  private closed = false;

  constructor(options: EtcdClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1) {
      throw new CofferError('INVALID_FIELD', 'the etcd timeout is a positive number of milliseconds');
    }
    this.writeAttemptMs = options.writeAttemptMs ?? Math.min(DEFAULT_WRITE_ATTEMPT_MS, this.timeoutMs);
    if (!Number.isSafeInteger(this.writeAttemptMs) || this.writeAttemptMs < 1) {
      throw new CofferError('INVALID_FIELD', 'the etcd write attempt limit is a positive number of milliseconds');
    }
    const addresses = checkEndpoints(options.endpoints, options.tls !== undefined);
    const channel = channelCredentials(options.tls);
    this.endpoints = addresses.map((address) => ({ address, client: new Client(address, channel, CHANNEL_OPTIONS) }));
  }

  /** Where calls go now. */
  endpoint(): Endpoint {
    const endpoint = this.endpoints[this.current];
    if (endpoint === undefined) throw new CofferError('INTERNAL_ERROR', 'no etcd endpoint');
    return endpoint;
  }

  /** After a failure on `failed`: the next endpoint, unless another call moved on already. */
  failover(failed: Endpoint): void {
    if (this.endpoint() === failed) this.current = (this.current + 1) % this.endpoints.length;
  }

  /**
   * One request and its answer, retried (with failover) while that is safe and the deadline
   * allows. `attemptMs`: the longest one attempt waits (none: the whole deadline).
   */
  async unary<Request, Response>(
    method: Method<Request, Response>,
    request: Request,
    kind: CallKind,
    attemptMs?: number,
  ): Promise<Response> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      this.ensureOpen();
      const endpoint = this.endpoint();
      const attemptDeadline = attemptMs === undefined ? deadline : Math.min(deadline, Date.now() + attemptMs);
      try {
        return await this.once(endpoint, method, request, attemptDeadline);
      } catch (error) {
        const verdict = verdictOf(error);
        if (!('retry' in verdict)) throw finalError(error, kind);
        this.failover(endpoint);
        const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        if (this.closed || !mayRetry(verdict, kind) || Date.now() + backoff >= deadline) throw finalError(error, kind);
        await sleep(backoff);
      }
    }
  }

  /** A bidirectional stream on the current endpoint; the caller handles its end and calls failover. */
  stream<Request, Response>(
    method: Method<Request, Response>,
  ): {
    readonly call: ClientDuplexStream<Request, Response>;
    readonly endpoint: Endpoint;
  } {
    this.ensureOpen();
    const endpoint = this.endpoint();
    const call = endpoint.client.makeBidiStreamRequest(
      method.path,
      method.serialize,
      method.deserialize,
      leaderMetadata(),
    );
    return { call, endpoint };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const endpoint of this.endpoints) endpoint.client.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private once<Request, Response>(
    endpoint: Endpoint,
    method: Method<Request, Response>,
    request: Request,
    deadline: number,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      endpoint.client.makeUnaryRequest(
        method.path,
        method.serialize,
        method.deserialize,
        request,
        leaderMetadata(),
        { deadline },
        (error: ServiceError | null, response?: Response) => {
          if (error) reject(error);
          else if (response === undefined) reject(new CofferError('INTERNAL_ERROR', 'etcd sent no answer'));
          else resolve(response);
        },
      );
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new CofferError('INTERNAL_ERROR', 'the state store is closed');
  }
}

function leaderMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set('hasleader', 'true');
  return metadata;
}
