import type { AuditService } from '../audit/audit-service.js';
import type { RefusalBudget } from '../audit/refusal-budget.js';
import type { KeyUsageService } from '../audit/key-usage-service.js';
import type { ClusterPolicyStore } from '../cluster/cluster-policy.js';
import type { ClusterService } from '../cluster/cluster-service.js';
import type { ClusterMembership } from '../cluster/membership.js';
import type { IdempotencyService } from '../idempotency/idempotency-service.js';
import type { NodeAdmission } from '../cluster/membership/node-admission.js';
import type { RevokedClients } from '../cluster/membership/revoked-clients.js';
import type { PeerUnsealService } from '../cluster/peer-unseal/peer-unseal-service.js';
import type { KeyQuorumService } from '../identity/key-quorum.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { QuorumValueService } from '../identity/quorum-value-service.js';
import type { SessionManager } from '../identity/sessions.js';
import type { AccessKeyService } from '../identity/access-keys.js';
import type { UserKeyService } from '../identity/user-keys.js';
import type { UserService } from '../identity/user-service.js';
import type { CryptoService } from '../keys/crypto-service.js';
import type { KeyService } from '../keys/key-service.js';
import type { KeyUseGate } from '../keys/key-use-gate.js';
import type { AliasService } from '../keys/key-aliases.js';
import type { KeyAttributeService } from '../keys/key-attributes.js';
import type { KeySharingService } from '../keys/key-sharing.js';
import type { KeyDerivation } from '../keys/key-derivation.js';
import type { KeyImport } from '../keys/key-import.js';
import type { KeyVersions } from '../keys/key-versions.js';
import type { KeyWrapping } from '../keys/key-wrapping.js';
import type { MultipartOperations } from '../keys/multipart-operations.js';
import type { KmsKeyChanges } from '../kms/key-changes.js';
import type { KmsKeyImport } from '../kms/key-import.js';
import type { ObjectService } from '../pkcs11/object-service.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { XksKeyStores } from '../xks/key-stores.js';

/** Everything operations and routes may call: services only, never the store or the barrier directly. */
export interface Services {
  /** The one key-use gate every key of every operation passes. */
  readonly gate: KeyUseGate;
  readonly cluster: ClusterService;
  /** The nodes clients may use, with their zones (GET /v1/cluster/nodes). */
  readonly membership: ClusterMembership;
  readonly policy: ClusterPolicyStore;
  readonly sessions: SessionManager;
  readonly users: UserService;
  /** Adding, removing and listing the cluster's nodes. */
  readonly nodes: Pick<NodeAdmission, 'add' | 'remove' | 'list'>;
  /** The unsealed side of peer unseal (node certificates only). */
  readonly peerUnseal: Pick<PeerUnsealService, 'handle'>;
  /** Refuses connections whose client certificate was revoked (a removed node's). */
  readonly revokedClients: Pick<RevokedClients, 'refuse'>;
  readonly keys: KeyService;
  readonly keyAttributes: KeyAttributeService;
  readonly keySharing: KeySharingService;
  readonly aliases: AliasService;
  readonly crypto: CryptoService;
  readonly versions: KeyVersions;
  readonly keyImport: KeyImport;
  readonly keyWrapping: KeyWrapping;
  readonly keyDerivation: KeyDerivation;
  readonly multipart: MultipartOperations;
  /** Certificates and data objects (the PKCS#11 face). */
  readonly objects: ObjectService;
  readonly audit: AuditService;
  /** Per-key usage counters (GET /v1/keys/:handle/usage). */
  readonly keyUsage: KeyUsageService;
  /** For auditing refusals made at the edge (authorization). */
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** For auditing refusals of requests without a valid credential: under a per-source budget. */
  readonly refusals: Pick<RefusalBudget, 'audit'>;
  /** M-of-N quorum: tokens, cluster values, per-key values. */
  readonly quorum: QuorumService;
  readonly quorumValues: QuorumValueService;
  readonly keyQuorum: KeyQuorumService;
  /** MFA and quorum key registration. */
  readonly userKeys: UserKeyService;
  /** XKS key stores: the records the XKS proxy API serves AWS KMS from. */
  readonly xks: XksKeyStores;
  /** Access keys: the SigV4 credentials of the KMS-compatible API. */
  readonly accessKeys: AccessKeyService;
  /** KMS keys' state and KMS metadata (the KMS-compatible API). */
  readonly kmsKeys: KmsKeyChanges;
  /** Writes carrying an Idempotency-Key: run once, replayed on a retry. */
  readonly idempotency: Pick<IdempotencyService, 'run'>;
  /** KMS imported key material (Origin EXTERNAL keys). */
  readonly kmsImport: KmsKeyImport;
  /** The node's clock: what falls due with time (imported material's expiry) is read from it. */
  readonly clock: () => Date;
}
