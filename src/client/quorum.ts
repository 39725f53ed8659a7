import type { QuorumToken } from './quorum-file.js';
import type { Requester } from './transport.js';

export type QuorumServiceName = 'user' | 'quorum' | 'cluster' | 'key-management' | 'key-usage';

export interface QuorumTokenSummary {
  readonly token: string;
  readonly service: QuorumServiceName;
  readonly username: string;
  readonly keyHandle?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly approvalsRequired: number;
}

export interface RegistrationToken {
  readonly challengeId: string;
  readonly challenge: string;
  readonly expiresAt: string;
}

export interface KeyQuorumValues {
  readonly handle: string;
  readonly 'key-management': number;
  readonly 'key-usage': number;
}

/** Quorum tokens and values, for a session's token (MFA and quorum key registration: users.ts). */
export function quorumCalls(request: Requester, token: string) {
  return {
    async generateQuorumToken(
      service: QuorumServiceName,
      options: { keyHandle?: string; timeoutSeconds?: number } = {},
    ): Promise<QuorumToken> {
      const answer = await request<{ token: QuorumToken }>('POST', '/v1/quorum/tokens', {
        token,
        body: { service, ...options },
      });
      return answer.token;
    },
    async listQuorumTokens(): Promise<QuorumTokenSummary[]> {
      return (await request<{ tokens: QuorumTokenSummary[] }>('GET', '/v1/quorum/tokens', { token })).tokens;
    },
    async deleteQuorumToken(id: string): Promise<void> {
      await request<void>('DELETE', `/v1/quorum/tokens/${encodeURIComponent(id)}`, { token });
    },
    async quorumValues(): Promise<Record<string, number>> {
      return (await request<{ values: Record<string, number> }>('GET', '/v1/quorum/values', { token })).values;
    },
    async setQuorumValue(service: 'user' | 'quorum' | 'cluster', value: number): Promise<Record<string, number>> {
      const answer = await request<{ values: Record<string, number> }>('PUT', `/v1/quorum/values/${service}`, {
        token,
        body: { value },
      });
      return answer.values;
    },
    keyQuorum(handle: string): Promise<KeyQuorumValues> {
      return request<KeyQuorumValues>('GET', `/v1/keys/${encodeURIComponent(handle)}/quorum`, { token });
    },
    setKeyQuorum(
      handle: string,
      values: { 'key-management'?: number; 'key-usage'?: number },
    ): Promise<KeyQuorumValues> {
      return request<KeyQuorumValues>('PUT', `/v1/keys/${encodeURIComponent(handle)}/quorum`, { token, body: values });
    },
    /** An admin sets another user's password (under the user quorum). */
    async changeUserPassword(username: string, newPassword: string): Promise<void> {
      await request<void>('PUT', `/v1/users/${encodeURIComponent(username)}/password`, {
        token,
        body: { newPassword },
      });
    },
  };
}
