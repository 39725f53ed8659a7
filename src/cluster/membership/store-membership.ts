/**
 * Who is in the cluster, read from the live records in the store: every node that is up and
 * renewing its lease, sealed or not. Backs client discovery (GET /v1/cluster/nodes), the peer
 * search of a sealed node, and `cluster list-nodes`.
 */
import type { StateStore } from '../../store/state-store.js';
import { decodeMember, MEMBER_PREFIX, type MemberRecord } from './member-record.js';

/** One node as clients reach it. */
export interface DiscoveredNode {
  readonly url: string;
  readonly zone?: string;
}

export class StoreMembership {
  constructor(
    private readonly store: Pick<StateStore, 'range'>,
    /** This node's zone label, if it has one. */
    readonly zone: string | undefined,
  ) {}

  /** The live nodes' URLs and zones, in node id order (what a client needs, nothing more). */
  async nodes(): Promise<readonly DiscoveredNode[]> {
    return (await this.members()).map((member) => ({
      url: member.url,
      ...(member.zone !== undefined && { zone: member.zone }),
    }));
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
