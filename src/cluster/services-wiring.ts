/**
 * The composition root: every service of a node, built once over one store and barrier, with
 * exactly the dependencies each declares. The routes see only what this returns.
 */
import type { Logger } from 'pino';
import { wireAudit, type AuditNodeOptions } from '../audit/node-audit.js';
import { Barrier } from '../barrier/barrier.js';
import { UnsealProgress } from '../barrier/unseal-progress.js';
import { AccessKeyService } from '../identity/access-keys.js';
import { ChallengeStore } from '../identity/challenges.js';
import { IdempotencyService } from '../idempotency/idempotency-service.js';
import { KeyQuorumService } from '../identity/key-quorum.js';
import { QuorumService } from '../identity/quorum-service.js';
import { KEY_QUORUM_PREFIX, keyQuorumPath, readKeyValues } from '../identity/quorum-values.js';
import { WatchedCache } from '../records/watched-cache.js';
import { QuorumValueService } from '../identity/quorum-value-service.js';
import { SessionObjectIds } from '../identity/session-bound.js';
import { SessionManager } from '../identity/sessions.js';
import { UserKeyService } from '../identity/user-keys.js';
import { UserService } from '../identity/user-service.js';
import { CallerIvCheck } from '../keys/caller-iv-rule.js';
import { CryptoService } from '../keys/crypto-service.js';
import { KeyRepository } from '../keys/key-repository.js';
import { KeyService } from '../keys/key-service.js';
import { KeyUseGate } from '../keys/key-use-gate.js';
import { AliasService } from '../keys/key-aliases.js';
import { KeyAttributeService } from '../keys/key-attributes.js';
import { KeySharingService, roleLookup } from '../keys/key-sharing.js';
import { KeyDerivation } from '../keys/key-derivation.js';
import { KeyImport } from '../keys/key-import.js';
import { KeyVersions } from '../keys/key-versions.js';
import { KeyWrapping } from '../keys/key-wrapping.js';
import { SessionKeys } from '../keys/session-keys.js';
import { MULTIPART_LIMITS, MultipartOperations } from '../keys/multipart-operations.js';
import { KmsKeyChanges } from '../kms/key-changes.js';
import { KmsKeyImport } from '../kms/key-import.js';
import { ObjectService } from '../pkcs11/object-service.js';
import { RecordFreshness } from '../records/record-freshness.js';
import { RecordReader } from '../records/record-reader.js';
import type { StateStore } from '../store/state-store.js';
import { XksKeyStores } from '../xks/key-stores.js';
import { ClusterPolicyStore } from './cluster-policy.js';
import type { ClusterNode } from './membership.js';
import { ClusterService, type NodeInfo } from './cluster-service.js';
import { wireMembership, type MembershipOptions } from './membership/wire-membership.js';

export interface WiringOptions {
  /** How long an Idempotency-Key is remembered (24 h by default). */
  readonly idempotencyRetentionMs?: number;
  /** Further nodes clients may discover (`--peer`), beside the live ones the store lists. */
  readonly peers?: readonly ClusterNode[];
}

export function wireServices(
  store: StateStore,
  info: NodeInfo,
  seal: { shares: number; threshold: number },
  logger: Logger,
  auditOptions: AuditNodeOptions & WiringOptions & { readonly cluster: MembershipOptions },
  /** The node's clock; a test moves it to see what expires (import tokens, imported material). */
  clock: () => Date = () => new Date(),
) {
  const barrier = new Barrier(store);
  // One freshness map: the reader refuses by it, the writer keeps it, unseal builds it.
  const freshness = new RecordFreshness();
  const reader = new RecordReader(store, barrier, freshness);
  const audit = wireAudit({
    store,
    barrier,
    reader,
    freshness,
    nodeId: info.nodeId,
    clusterId: info.clusterId,
    logger,
    options: auditOptions,
    clock,
  });
  const writer = audit.writer;
  // Sessions and challenges live in the store, so any node serves them; what is bound to a
  // session (session keys, multi-part operations, session objects) stays on the node that made it.
  const sessions = new SessionManager({ reader, writer, store });
  const challenges = new ChallengeStore({ reader, writer });
  const repository = new KeyRepository(store, barrier, reader);
  // One set of session-bound ids for the node: they say whose and from which node.
  const sessionObjectIds = new SessionObjectIds();
  const sessionKeys = new SessionKeys(sessionObjectIds);
  sessions.bind(sessionKeys);
  const keyQuorumValues = new WatchedCache(
    store,
    KEY_QUORUM_PREFIX,
    async (path) => (await readKeyValues(reader, path.slice(KEY_QUORUM_PREFIX.length))).values,
  );
  const quorum = new QuorumService({
    reader,
    writer,
    keyValues: (handle) => keyQuorumValues.get(keyQuorumPath(handle)),
  });
  const policy = new ClusterPolicyStore(reader, writer, quorum, store);
  const gate = new KeyUseGate({
    load: (handle) => repository.load(handle),
    aliases: repository.aliases,
    sessionKeys,
    writer,
    quorum,
    use: audit.cryptoUse,
    callerIv: new CallerIvCheck({ policy: () => policy.current(), writer }),
    clock,
  });
  const keys = new KeyService({ repository, writer, sessionKeys });
  const keyAdmin = { repository, sessionKeys, writer };
  const versions = new KeyVersions({ load: (handle) => repository.load(handle), reader, writer });
  const crypto = new CryptoService(versions);
  const multipart = new MultipartOperations(gate, MULTIPART_LIMITS, sessionObjectIds);
  sessions.bind(multipart);
  const objects = new ObjectService({ reader, writer, ids: sessionObjectIds });
  sessions.bind(objects);
  const accessKeys = new AccessKeyService({ reader, writer, challenges });
  const users = new UserService({
    reader,
    writer,
    sessions,
    // Access keys too: a user created later under the same name must not find them.
    ownsKeys: async (username) => (await repository.holdsKeys(username)) || (await accessKeys.holdsKeys(username)),
    quorum,
    challenges,
    refusals: audit.refusals,
  });
  const progress = new UnsealProgress(barrier, seal);
  const cluster = new ClusterService({
    info,
    barrier,
    progress,
    sessions,
    reader,
    writer: audit.clusterWriter,
    chain: audit.chain,
    keys: repository,
    logger,
    quorum,
  });
  const members = wireMembership(
    { store, info, seal, barrier, reader, writer, refusals: audit.refusals, quorum, logger },
    { ...auditOptions.cluster, peers: auditOptions.peers ?? [] },
  );
  const idempotency = new IdempotencyService({
    reader,
    writer,
    blind: (namespace, value) => barrier.blindIndex(namespace, value),
    clock,
    ...(auditOptions.idempotencyRetentionMs !== undefined && { retentionMs: auditOptions.idempotencyRetentionMs }),
  });
  const services = {
    gate,
    cluster,
    // Who is in the cluster: the live records in the store (and any static --peer).
    membership: members.membership,
    nodes: members.nodes,
    peerUnseal: members.peerUnseal,
    revokedClients: members.revokedClients,
    policy,
    sessions,
    users,
    keys,
    keyAttributes: new KeyAttributeService(keyAdmin),
    keySharing: new KeySharingService({ ...keyAdmin, roleOf: roleLookup(reader) }),
    aliases: new AliasService({
      directory: repository.aliases,
      gate,
      load: (handle) => repository.load(handle),
      writer,
    }),
    crypto,
    versions,
    keyImport: new KeyImport({ keys, writer, policy: () => policy.get() }),
    keyWrapping: new KeyWrapping({ keys, writer }),
    keyDerivation: new KeyDerivation({ keys, writer }),
    multipart,
    objects,
    audit: audit.audit,
    keyUsage: audit.keyUsage,
    writer,
    refusals: audit.refusals,
    quorum,
    quorumValues: new QuorumValueService({ reader, writer, quorum }),
    keyQuorum: new KeyQuorumService({ reader, writer }),
    userKeys: new UserKeyService({ reader, writer, challenges, quorum }),
    xks: new XksKeyStores({ reader, writer, store, roleOf: roleLookup(reader) }),
    accessKeys,
    kmsKeys: new KmsKeyChanges({ repository, writer, roleOf: roleLookup(reader) }),
    kmsImport: new KmsKeyImport({ keys, repository, reader, writer, policy: () => policy.get(), clock }),
    clock,
    idempotency,
  };
  return { services, sessions, challenges, repository, audit, idempotency, members };
}
