import type { AuditReader } from '../audit/audit-reader.js';
import type { ClusterPolicyStore } from '../cluster/cluster-policy.js';
import type { ClusterService } from '../cluster/cluster-service.js';
import type { SessionManager } from '../identity/sessions.js';
import type { UserService } from '../identity/user-service.js';
import type { CryptoService } from '../keys/crypto-service.js';
import type { KeyService } from '../keys/key-service.js';
import type { AliasService } from '../keys/key-aliases.js';
import type { KeyAttributeService } from '../keys/key-attributes.js';
import type { KeySharingService } from '../keys/key-sharing.js';
import type { KeyVersions } from '../keys/key-versions.js';
import type { MultipartOperations } from '../keys/multipart-operations.js';
import type { RecordWriter } from '../records/record-writer.js';

/** Everything the routes may call: services only, never the store or the barrier directly. */
export interface ApiServices {
  readonly cluster: ClusterService;
  readonly policy: ClusterPolicyStore;
  readonly sessions: SessionManager;
  readonly users: UserService;
  readonly keys: KeyService;
  readonly keyAttributes: KeyAttributeService;
  readonly keySharing: KeySharingService;
  readonly aliases: AliasService;
  readonly crypto: CryptoService;
  readonly versions: KeyVersions;
  readonly multipart: MultipartOperations;
  readonly audit: AuditReader;
  /** For auditing refusals made at the edge (authorization). */
  readonly writer: Pick<RecordWriter, 'commit'>;
}
