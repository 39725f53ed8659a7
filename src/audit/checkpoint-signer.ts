import type { KeyringIdentity } from '../barrier/keyring.js';
import type { AuditEvent } from '../records/audit-chain.js';
import type { CheckpointSigner } from '../records/checkpoint-signer.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, Commit } from '../records/record-writer.js';
import { AUDIT_KEY_PATH, generateAuditKey, loadAuditKey, type AuditKey } from './audit-key.js';
import { checkpointPath, signCheckpoint } from './checkpoint.js';

/**
 * Signs checkpoints with the cluster's audit key, for the record writer. The key is loaded
 * after each unseal — or created, audited, for a cluster made before audit keys existed (its
 * own transaction, compared so two nodes never make two keys) — and forgotten at seal. A
 * failure leaves checkpoints off until the next commit tries again; it never blocks a commit.
 */
export class AuditKeyCheckpoints implements CheckpointSigner {
  private key: AuditKey | undefined;

  constructor(
    private readonly deps: {
      readonly reader: Pick<RecordReader, 'get'>;
      readonly barrier: { readonly identity: KeyringIdentity };
      readonly nodeId: string;
    },
  ) {}

  /** The audit key in use, once loaded (undefined while sealed). */
  get currentKey(): AuditKey | undefined {
    return this.key;
  }

  async prepare(commitNow: (commit: Commit) => Promise<boolean>): Promise<void> {
    if (this.key) return;
    try {
      this.key = await loadAuditKey(this.deps.reader);
      if (this.key) return;
      const created = generateAuditKey();
      const committed = await commitNow({
        compares: [{ key: AUDIT_KEY_PATH, modRevision: 0 }],
        changes: [created.change],
        event: {
          actor: 'system',
          action: 'audit.key-create',
          target: AUDIT_KEY_PATH,
          result: 'success',
          details: { keyId: created.key.keyId, algorithm: 'ed25519' },
        },
      });
      // Another node may have made it first: then use that one.
      this.key = committed ? created.key : await loadAuditKey(this.deps.reader);
    } catch {
      this.key = undefined;
    }
  }

  sign(last: AuditEvent): Extract<Change, { type: 'put' }> | undefined {
    if (!this.key) return undefined;
    const checkpoint = signCheckpoint(
      {
        seq: last.seq,
        hash: last.hash,
        time: last.time,
        node: this.deps.nodeId,
        clusterId: this.deps.barrier.identity.clusterId,
      },
      this.key,
    );
    const plaintext = Buffer.from(JSON.stringify(checkpoint));
    return { type: 'put', path: checkpointPath(last.seq), kind: 'audit-checkpoint', plaintext };
  }

  forget(): void {
    this.key = undefined;
  }
}
