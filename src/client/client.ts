import { CofferSession } from './session.js';
import { Transport, type TransportOptions } from './transport.js';
import type { ActivateResult, ClusterStatus, Health, LoginResult, UnsealResult } from './types.js';

export type CofferClientOptions = TransportOptions;

/**
 * A client of a Coffer cluster: several endpoints, one pooled HTTPS agent, failover on
 * connection errors. Unauthenticated calls live here; `login` returns a session for the rest.
 */
export class CofferClient {
  private readonly transport: Transport;

  constructor(options: CofferClientOptions) {
    this.transport = new Transport(options);
  }

  /** The endpoint the next request goes to first (the last one that answered). */
  get currentEndpoint(): string {
    return this.transport.currentEndpoint;
  }

  health(): Promise<Health> {
    return this.transport.request<Health>('GET', '/v1/health');
  }

  status(): Promise<ClusterStatus> {
    return this.transport.request<ClusterStatus>('GET', '/v1/cluster/status');
  }

  /** Submits one unseal share (`coffer-share-v1.…`). */
  unseal(share: string): Promise<UnsealResult> {
    return this.transport.request<UnsealResult>('POST', '/v1/cluster/unseal', { body: { share } });
  }

  /** Sets the initial admin's password, once. */
  activate(password: string): Promise<ActivateResult> {
    return this.transport.request<ActivateResult>('POST', '/v1/cluster/activate', { body: { password } });
  }

  async login(username: string, password: string): Promise<CofferSession> {
    const answer = await this.transport.request<LoginResult>('POST', '/v1/sessions', { body: { username, password } });
    return new CofferSession(this.transport.request, answer);
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
