import { isCofferApiError } from './errors.js';
import { signBytes } from './quorum-file.js';
import type { KeyObject } from 'node:crypto';
import { CofferSession } from './session.js';
import type { EndpointState } from './endpoint-pool.js';
import type { EndpointSpec } from './endpoints.js';
import { Transport, type TransportOptions } from './transport.js';
import type { ActivateResult, ClusterStatus, Health, LoginResult, UnsealResult } from './types.js';

export type CofferClientOptions = TransportOptions;

/** A signed MFA challenge: its id and the base64 signature. */
export interface MfaChallengeAnswer {
  readonly challengeId: string;
  readonly signature: string;
}

export interface LoginMfa {
  /** The MFA private key (PEM or KeyObject): the SDK signs the node's challenge. */
  readonly privateKey?: string | Buffer | KeyObject;
  /** A challenge signed elsewhere (the token-file flow). */
  readonly answer?: MfaChallengeAnswer;
}

/**
 * A client of a Coffer cluster: several endpoints (or discovered from one), the client's zone
 * first, balanced by requests outstanding, failed ones out until a health check finds them
 * back, and writes retried safely under an Idempotency-Key. Unauthenticated calls live here;
 * `login` returns a session for the rest.
 */
export class CofferClient {
  private readonly transport: Transport;

  constructor(options: CofferClientOptions) {
    this.transport = new Transport(options);
  }

  /** The endpoint that answered last. */
  get currentEndpoint(): string {
    return this.transport.currentEndpoint;
  }

  /** Every endpoint known (given and discovered), with its zone, health and requests outstanding. */
  endpoints(): readonly EndpointState[] {
    return this.transport.endpointStates();
  }

  /** The nodes the cluster lists (GET /v1/cluster/nodes), with their zones. */
  async clusterNodes(): Promise<readonly EndpointSpec[]> {
    return (await this.transport.request<{ nodes: EndpointSpec[] }>('GET', '/v1/cluster/nodes')).nodes;
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

  /**
   * Logs in. For a user with MFA: give `mfa.privateKey` to sign the node's challenge here, or
   * `mfa.answer` (a challenge signed offline). Without either, an MFA user's login fails with
   * MFA_REQUIRED, and the error's `details.challenge` holds `{challengeId, challenge, expiresAt}`.
   */
  async login(username: string, password: string, mfa: LoginMfa = {}): Promise<CofferSession> {
    const send = (answer?: MfaChallengeAnswer) =>
      this.transport.request<LoginResult>('POST', '/v1/sessions', {
        body: answer === undefined ? { username, password } : { username, password, mfa: answer },
      });
    try {
      return new CofferSession(this.transport.request, await send(mfa.answer));
    } catch (error) {
      if (mfa.privateKey === undefined || mfa.answer !== undefined || !isCofferApiError(error, 'MFA_REQUIRED'))
        throw error;
      const challenge = error.details.challenge as { challengeId: string; challenge: string };
      const signature = signBytes(mfa.privateKey, Buffer.from(challenge.challenge, 'base64'));
      return new CofferSession(this.transport.request, await send({ challengeId: challenge.challengeId, signature }));
    }
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
