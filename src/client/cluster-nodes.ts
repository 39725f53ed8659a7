import type { Requester } from './transport.js';

/** One node of the cluster as `GET /v1/cluster/members` shows it (never a secret). */
export interface ClusterNodeView {
  readonly nodeId: string;
  readonly zone?: string;
  readonly url?: string;
  /** 'down': admitted, but no live record (stopped, crashed or cut off). */
  readonly health: 'ok' | 'degraded' | 'down';
  readonly sealed?: boolean;
  readonly version?: string;
  readonly load?: { readonly inFlight: number; readonly ratePerSecond: number };
  readonly admitted: boolean;
  readonly serialNumber?: string;
  readonly updatedAt?: string;
}

export interface AddNodeInput {
  /** The PEM CSR `coffer node prepare` made (its CN is the new node's id). */
  readonly csr: string;
  readonly zone?: string;
  readonly dnsNames?: string[];
  readonly ipAddresses?: string[];
}

/** What the new node's data dir needs: `coffer node join --bundle` installs it. No secret. */
export interface JoinBundle {
  readonly nodeId: string;
  readonly certificate: string;
  readonly caCertificate: string;
  readonly cluster: Record<string, unknown>;
}

const members = '/v1/cluster/members';

/** Adding, removing (admin) and listing (any user) the cluster's nodes. */
export function clusterNodeCalls(request: Requester, token: string) {
  return {
    async listNodes(): Promise<ClusterNodeView[]> {
      return (await request<{ nodes: ClusterNodeView[] }>('GET', members, { token })).nodes;
    },
    addNode(input: AddNodeInput): Promise<JoinBundle> {
      return request<JoinBundle>('POST', members, { token, body: input });
    },
    removeNode(nodeId: string): Promise<{ nodeId: string; serialNumber: string; removed: boolean }> {
      return request('DELETE', `${members}/${encodeURIComponent(nodeId)}`, { token });
    },
  };
}
