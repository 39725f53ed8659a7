/** One node as clients reach it: its URL and, when it has one, its zone label. */
export interface ClusterNode {
  readonly url: string;
  readonly zone?: string;
}

/**
 * Who is in the cluster, as clients discover it (GET /v1/cluster/nodes): the live records in
 * the store (src/cluster/membership/store-membership.ts).
 */
export interface ClusterMembership {
  /** This node's zone label, if it has one. */
  readonly zone: string | undefined;
  nodes(): Promise<readonly ClusterNode[]>;
}
