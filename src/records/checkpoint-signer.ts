import type { AuditEvent } from './audit-chain.js';
import type { Change, Commit } from './record-writer.js';

/**
 * What the writer needs to sign checkpoints of the chain, injected so the record layer holds
 * no audit key and knows no signature format (src/audit/ implements it).
 */
export interface CheckpointSigner {
  /**
   * Before each group while unsealed: ready the signing key. When the cluster has none it may
   * create it through `commitNow` (an audited commit that skips the queue; resolves false when
   * refused). Never throws: without a key the commit goes on, unsigned.
   */
  prepare(commitNow: (commit: Commit) => Promise<boolean>): Promise<void>;
  /** The checkpoint record of the chain ending at `last`; undefined while no key is loaded. */
  sign(last: AuditEvent): Extract<Change, { type: 'put' }> | undefined;
  /** At seal, or while sealed: the key leaves memory. */
  forget(): void;
}
