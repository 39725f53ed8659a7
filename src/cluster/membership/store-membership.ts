/**
 * Who is in the cluster, read from the live records in the store: every node that is up and
 * renewing its lease, sealed or not. Backs client discovery (GET /v1/cluster/nodes), the peer
 * search of a sealed node, and `cluster list-nodes`.
 */
import type { StateStore } from '../../store/state-store.js';
import type { ClusterMembership, ClusterNode } from '../membership.js';
import { decodeMember, MEMBER_PREFIX, type MemberRecord } from './member-record.js';

export class StoreMembership implements ClusterMembership {
  constructor(
    private readonly store: Pick<StateStore, 'range'>,
    /** This node's zone label, if it has one. */
    readonly zone: string | undefined,
    /** Static extra endpoints (`node start --peer`): a relay, or a node on another store. */
    private readonly peers: readonly ClusterNode[] = [],
  ) {}

  /**
   * The live nodes' URLs and zones, in node id order, then the static peers; each URL once.
   * What a client needs to connect, nothing it could not learn by connecting.
   */
  async nodes(): Promise<readonly ClusterNode[]> {
    const live = (await this.members()).map((member) => ({
      url: member.url,
      ...(member.zone !== undefined && { zone: member.zone }),
    }));
    const seen = new Set<string>();
    return [...live, ...this.peers].filter((node) => !seen.has(node.url) && seen.add(node.url));
  }

  /** Every live record that decodes; a malformed one is no member. */
  async members(): Promise<MemberRecord[]> {
    const members: MemberRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.range(MEMBER_PREFIX, after === undefined ? {} : { after });
      for (const entry of page.entries) {
        const record = decodeMember(entry.value);
        if (record && entry.key === MEMBER_PREFIX + record.nodeId) members.push(record);
      }
      if (!page.more || page.entries.length === 0) return members;
      after = page.entries[page.entries.length - 1]!.key;
    }
  }
}
