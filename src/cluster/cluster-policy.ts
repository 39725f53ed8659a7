import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { Session } from '../identity/sessions.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import { WatchedCache } from '../records/watched-cache.js';
import type { StateStore } from '../store/state-store.js';

/**
 * Cluster-wide policy switches, sealed at `sys/policy` like any record: changed only by an
 * admin through the API, every change audited with its old and new values, and the same on
 * every node because it lives in the store. Absent means every default.
 */
export interface ClusterPolicy {
  /**
   * Import of secret and private key values made outside the node: in plaintext (`POST
   * /v1/keys/import`), and as KMS imported key material (Origin EXTERNAL, src/kms/key-import.ts).
   */
  readonly allowPlaintextImport: boolean;
  /**
   * A caller's IV (AES-GCM) or initial counter block (AES-CTR) on encrypt, for clients that make
   * their own (Java's SunPKCS11), and then only from a user who may also decrypt with the key
   * (src/keys/caller-iv-rule.ts). Off: the node makes every such IV.
   */
  readonly allowCallerIv: boolean;
  /**
   * PKCS#11 sessions without a login list the public objects: public keys, certificates and
   * data objects whose CKA_PRIVATE is false (`ssh-keygen -D` reads public keys that way). Never
   * a secret or private key, whatever its CKA_PRIVATE. Off: an object is seen only after a login.
   */
  readonly listPublicObjects: boolean;
}

export const DEFAULT_POLICY: ClusterPolicy = {
  allowPlaintextImport: false,
  allowCallerIv: false,
  listPublicObjects: false,
};
/** The policy's switches, for the route schema and the CLI. */
export const POLICY_SWITCHES = Object.keys(DEFAULT_POLICY) as readonly (keyof ClusterPolicy)[];
export const POLICY_PATH = 'sys/policy';

export class ClusterPolicyStore {
  private readonly cache?: WatchedCache<ClusterPolicy>;

  constructor(
    private readonly reader: Pick<RecordReader, 'get'>,
    private readonly writer: Pick<RecordWriter, 'commit'>,
    /** The `cluster` quorum service's approval, when its value is above 1. */
    private readonly quorum?: Pick<QuorumService, 'approve'>,
    /** The store watch that keeps `current()` fresh; without it `current()` reads the store. */
    store?: Pick<StateStore, 'watch'>,
  ) {
    if (store) this.cache = new WatchedCache(store, POLICY_PATH, async () => this.get());
  }

  /** The policy as stored: one store read. */
  async get(): Promise<ClusterPolicy> {
    return (await this.load()).policy;
  }

  /**
   * The policy for hot paths (every encrypt): from a cache the store watch evicts on any change
   * to the record, wherever in the cluster it was written, so no store read per call.
   */
  async current(): Promise<ClusterPolicy> {
    return this.cache ? this.cache.get(POLICY_PATH) : this.get();
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
    // This node sees its own change at once, before the watch event arrives (etcd's is async).
    this.cache?.clear();
    return next;
  }

  private async load(): Promise<{ policy: ClusterPolicy; modRevision: number }> {
    const record = await this.reader.get(POLICY_PATH, 'cluster-policy');
    if (!record) return { policy: DEFAULT_POLICY, modRevision: 0 };
    const stored = JSON.parse(record.plaintext.toString('utf8')) as Partial<ClusterPolicy>;
    return { policy: { ...DEFAULT_POLICY, ...stored }, modRevision: record.modRevision };
  }
}
