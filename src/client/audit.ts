import type { Requester } from './transport.js';
import type { AuditEvent } from './types.js';

export interface AuditQuery {
  readonly after?: number;
  readonly limit?: number;
  readonly actor?: string;
  /** Exact, or a prefix ending in `*`. */
  readonly action?: string;
  readonly target?: string;
  readonly result?: 'success' | 'failure';
  /** ISO 8601 times, inclusive. */
  readonly since?: string;
  readonly until?: string;
}

export interface AuditSearchPage {
  readonly events: AuditEvent[];
  readonly more: boolean;
  /** Pass back as `after`. */
  readonly next: number;
}

export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  readonly node: string;
  readonly clusterId: string;
  readonly publicKey: string;
  readonly signature: string;
}

export interface AuditPublicKey {
  /** SubjectPublicKeyInfo DER, base64. */
  readonly publicKey: string;
  readonly pem: string;
  readonly keyId: string;
  readonly algorithm: 'ed25519';
}

/** One page of the export: JSON lines, the first one the header. */
export interface AuditExportPage {
  readonly lines: string[];
  readonly more: boolean;
  readonly next: number;
}

export interface KeyUsageCount {
  readonly handle: string;
  readonly total: number;
  readonly operations: Readonly<Record<string, number>>;
  readonly nodes: readonly { readonly node: string; readonly total: number; readonly updatedAt: string }[];
  readonly pending: number;
}

/** The audit routes and key usage, for a session's token. */
export function auditCalls(request: Requester, token: string) {
  return {
    /** Events in sequence order, filtered on the node (admin). */
    search(query: AuditQuery = {}): Promise<AuditSearchPage> {
      return request<AuditSearchPage>('GET', '/v1/audit/events', { token, query: { ...query } });
    },
    head(): Promise<{ seq: number; hash: string }> {
      return request<{ seq: number; hash: string }>('GET', '/v1/audit/head', { token });
    },
    publicKey(): Promise<AuditPublicKey> {
      return request<AuditPublicKey>('GET', '/v1/audit/public-key', { token });
    },
    /** Signs a checkpoint of the chain now (admin). */
    async checkpoint(): Promise<AuditCheckpoint> {
      const answer = await request<{ checkpoint: AuditCheckpoint }>('POST', '/v1/audit/checkpoints', {
        token,
        body: {},
      });
      return answer.checkpoint;
    },
    exportPage(after = 0, limit = 1000): Promise<AuditExportPage> {
      return request<AuditExportPage>('GET', '/v1/audit/export', { token, query: { after, limit } });
    },
    async keyUsage(handle: string): Promise<KeyUsageCount> {
      const answer = await request<{ usage: KeyUsageCount }>('GET', `/v1/keys/${encodeURIComponent(handle)}/usage`, {
        token,
      });
      return answer.usage;
    },
  };
}
