import type { AuditReader } from '../audit/audit-reader.js';
import type { ClusterService } from '../cluster/cluster-service.js';
import type { SessionManager } from '../identity/sessions.js';
import type { UserService } from '../identity/user-service.js';
import type { CryptoService } from '../keys/crypto-service.js';
import type { KeyService } from '../keys/key-service.js';
import type { RecordWriter } from '../records/record-writer.js';

/** Everything the routes may call: services only, never the store or the barrier directly. */
export interface ApiServices {
  readonly cluster: ClusterService;
  readonly sessions: SessionManager;
  readonly users: UserService;
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly audit: AuditReader;
  /** For auditing refusals made at the edge (authorization). */
  readonly writer: Pick<RecordWriter, 'commit'>;
}
