import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { Session } from '../identity/sessions.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';

/**
 * Cluster-wide policy switches, sealed at `sys/policy` like any record: changed only by an
 * admin through the API, every change audited with its old and new values, and the same on
 * every node because it lives in the store. Absent means every default.
 */
export interface ClusterPolicy {
  /** Import of secret and private key values in plaintext (`POST /v1/keys/import`). */
  readonly allowPlaintextImport: boolean;
}

export const DEFAULT_POLICY: ClusterPolicy = { allowPlaintextImport: false };
export const POLICY_PATH = 'sys/policy';

export class ClusterPolicyStore {
  constructor(
    private readonly reader: Pick<RecordReader, 'get'>,
    private readonly writer: Pick<RecordWriter, 'commit'>,
    /** The `cluster` quorum service's approval, when its value is above 1. */
    private readonly quorum?: Pick<QuorumService, 'approve'>,
  ) {}

  async get(): Promise<ClusterPolicy> {
    return (await this.load()).policy;
  }

  async set(actor: Session, change: Partial<ClusterPolicy>): Promise<ClusterPolicy> {
    const { policy: current, modRevision } = await this.load();
    const next: ClusterPolicy = { ...current, ...change };
    const plan = await this.quorum?.approve(actor, 'cluster');
    const changed = Object.fromEntries(Object.entries(change).map(([name, value]) => [name, Boolean(value)]));
    const details = { ...changed, ...plan?.details };
    try {
      await this.writer.commit({
        compares: [{ key: POLICY_PATH, modRevision }, ...(plan?.compares ?? [])],
        changes: [
          { type: 'put', path: POLICY_PATH, kind: 'cluster-policy', plaintext: Buffer.from(JSON.stringify(next)) },
          ...(plan?.changes ?? []),
        ],
        event: {
          actor: actor.username,
          action: 'cluster.policy.set',
          target: 'cluster/policy',
          result: 'success',
          details,
        },
      });
    } catch (error) {
      if (isCofferError(error, 'CONFLICT'))
        throw new CofferError('CONFLICT', 'the policy changed meanwhile; read it again');
      throw error;
    }
    return next;
  }

  private async load(): Promise<{ policy: ClusterPolicy; modRevision: number }> {
    const record = await this.reader.get(POLICY_PATH, 'cluster-policy');
    if (!record) return { policy: DEFAULT_POLICY, modRevision: 0 };
    const stored = JSON.parse(record.plaintext.toString('utf8')) as Partial<ClusterPolicy>;
    return { policy: { ...DEFAULT_POLICY, ...stored }, modRevision: record.modRevision };
  }
}
