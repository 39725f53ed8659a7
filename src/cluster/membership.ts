/** One node as clients reach it: its URL and, when it has one, its zone label. */
export interface ClusterNode {
  readonly url: string;
  readonly zone?: string;
}

/**
 * Who is in the cluster, as clients discover it (GET /v1/cluster/nodes). Static configuration
 * for now; the etcd store's membership list can answer the same question later.
 */
export interface ClusterMembership {
  /** This node's zone label, if it has one. */
  readonly zone: string | undefined;
  nodes(): Promise<readonly ClusterNode[]>;
}

/** This node (its URL known once it listens) and the peers it was configured with. */
export class StaticMembership implements ClusterMembership {
  private self: ClusterNode | undefined;

  constructor(
    readonly zone: string | undefined,
    private readonly peers: readonly ClusterNode[] = [],
  ) {}

  /** Called once the node listens: the URL it advertises. */
  listening(url: string): void {
    this.self = { url, ...(this.zone !== undefined && { zone: this.zone }) };
  }

  async nodes(): Promise<readonly ClusterNode[]> {
    const all = this.self ? [this.self, ...this.peers] : [...this.peers];
    const seen = new Set<string>();
    return all.filter((node) => !seen.has(node.url) && seen.add(node.url));
  }
}
