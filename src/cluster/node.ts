import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/server.js';
import { wireAudit, type AuditNodeOptions } from '../audit/node-audit.js';
import { Barrier } from '../barrier/barrier.js';
import { UnsealProgress } from '../barrier/unseal-progress.js';
import { decodeShare } from '../barrier/unseal-shares.js';
import { runSelfTests } from '../crypto/self-test/run.js';
import type { SelfTest } from '../crypto/types.js';
import { CofferError } from '../errors/coffer-error.js';
import { ChallengeStore } from '../identity/challenges.js';
import { KeyQuorumService } from '../identity/key-quorum.js';
import { QuorumService } from '../identity/quorum-service.js';
import { KEY_QUORUM_PREFIX, keyQuorumPath, readKeyValues } from '../identity/quorum-values.js';
import { WatchedCache } from '../records/watched-cache.js';
import { QuorumValueService } from '../identity/quorum-value-service.js';
import { SessionManager } from '../identity/sessions.js';
import { UserKeyService } from '../identity/user-keys.js';
import { UserService } from '../identity/user-service.js';
import { CryptoService } from '../keys/crypto-service.js';
import { KeyRepository } from '../keys/key-repository.js';
import { KeyService } from '../keys/key-service.js';
import { AliasService } from '../keys/key-aliases.js';
import { KeyAttributeService } from '../keys/key-attributes.js';
import { KeySharingService, roleLookup } from '../keys/key-sharing.js';
import { KeyVersions } from '../keys/key-versions.js';
import { SessionKeys } from '../keys/session-keys.js';
import { MultipartOperations } from '../keys/multipart-operations.js';
import { RecordReader } from '../records/record-reader.js';
import type { StateStore } from '../store/state-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { checkPrivateDirectory, exists } from '../util/files.js';
import { createLogger } from '../util/logger.js';
import { COFFER_VERSION } from '../version.js';
import { readClusterFile } from './cluster-file.js';
import { ClusterPolicyStore } from './cluster-policy.js';
import { ClusterService, type NodeInfo } from './cluster-service.js';
import { dataDir, type DataDir } from './data-dir.js';

export interface NodeOptions extends AuditNodeOptions {
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  /** Refuse to start unless the cluster was initialized in dev mode (`--dev`). */
  readonly requireDev?: boolean;
  /** The known-answer tests to run at start (all of them unless a test replaces them). */
  readonly selfTests?: readonly SelfTest[];
}

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly info: NodeInfo;
  readonly dir: DataDir;
  readonly cluster: ClusterService;
  readonly users: UserService;
  /** In-process access to keys, for the boundary tests that must know what to look for. */
  readonly keys: KeyService;
  readonly startupMs: number;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 2225;
const SESSION_SWEEP_MS = 60_000;

/**
 * Starts a node: checks the data dir, runs the self-tests (a failure refuses service), opens
 * the store, wires the services and serves /v1 over TLS 1.3. The node starts sealed; in dev
 * mode it unseals itself from the 1-of-1 share in the data dir, and says so.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const started = performance.now();
  const logger = options.logger ?? createLogger();
  const dir = dataDir(resolve(options.dataDir));
  await checkPrivateDirectory(dir.root);
  const file = await readClusterFile(dir.clusterFile);
  if (options.requireDev && file.mode !== 'dev') throw new CofferError('DEV_MODE_REFUSED');
  if (!file.certificateInstalled) {
    throw new CofferError(
      'NOT_INITIALIZED',
      'install the CA-signed node certificate: coffer cluster init --install-certificate',
    );
  }
  const selfTests = await runSelfTests(options.selfTests);
  logger.info({ passed: selfTests.passed.length, durationMs: Math.round(selfTests.durationMs) }, 'self-tests passed');

  const store = await openSqliteStore(dir.store);
  const info: NodeInfo = {
    clusterId: file.clusterId,
    nodeId: file.nodeId,
    mode: file.mode,
    ca: file.ca,
    version: COFFER_VERSION,
  };
  const wired = wireServices(store, info, file.seal, logger, options);
  const tls = {
    key: await readFile(dir.nodeKey),
    cert: await readFile(dir.nodeCert),
    ca: await readFile(dir.caCert),
    requireClientCert: file.mode !== 'dev',
  };
  const app = buildServer(tls, wired.services, logger);
  const sweeper = setInterval(() => wired.sessions.sweep(), SESSION_SWEEP_MS).unref();
  const close = async (): Promise<void> => {
    clearInterval(sweeper);
    await app.close();
    await wired.audit.stop();
    wired.sessions.closeAll();
    wired.repository.close();
    await store.close();
  };
  try {
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_PORT });
    if (file.mode === 'dev') await devAutoUnseal(dir, wired.services.cluster, logger);
    wired.audit.start();
  } catch (error) {
    await close();
    throw error;
  }
  const port = listeningPort(app);
  const startupMs = Math.round(performance.now() - started);
  logger.info({ port, mode: file.mode, sealed: wired.services.cluster.sealed, startupMs }, 'node started');
  return {
    url: `https://${urlHost(options.host ?? '127.0.0.1')}:${port}`,
    port,
    info,
    dir,
    cluster: wired.services.cluster,
    users: wired.services.users,
    keys: wired.services.keys,
    startupMs,
    close,
  };
}

function wireServices(
  store: StateStore,
  info: NodeInfo,
  seal: { shares: number; threshold: number },
  logger: Logger,
  auditOptions: AuditNodeOptions,
) {
  const barrier = new Barrier(store);
  const reader = new RecordReader(store, barrier);
  const audit = wireAudit({
    store,
    barrier,
    reader,
    nodeId: info.nodeId,
    clusterId: info.clusterId,
    logger,
    options: auditOptions,
  });
  const writer = audit.writer;
  const sessions = new SessionManager();
  const repository = new KeyRepository(store, barrier, reader);
  const sessionKeys = new SessionKeys();
  sessions.onClose((session) => sessionKeys.dropSession(session.id));
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
  const challenges = new ChallengeStore();
  const keys = new KeyService({ repository, writer, sessionKeys, quorum });
  const keyAdmin = { keys, repository, writer, quorum };
  const versions = new KeyVersions({ keys, reader, writer });
  const crypto = new CryptoService(keys, versions, writer, quorum, audit.cryptoUse);
  const multipart = new MultipartOperations(crypto);
  sessions.onClose((session) => multipart.dropSession(session.id));
  const users = new UserService({
    reader,
    writer,
    sessions,
    ownsKeys: (username) => repository.holdsKeys(username),
    quorum,
    challenges,
  });
  const progress = new UnsealProgress(barrier, seal);
  const cluster = new ClusterService({
    info,
    barrier,
    progress,
    sessions,
    reader,
    writer: audit.clusterWriter,
    keys: repository,
    logger,
    quorum,
  });
  const policy = new ClusterPolicyStore(reader, writer, quorum);
  const services = {
    cluster,
    policy,
    sessions,
    users,
    keys,
    keyAttributes: new KeyAttributeService(keyAdmin),
    keySharing: new KeySharingService({ ...keyAdmin, roleOf: roleLookup(reader) }),
    aliases: new AliasService({
      directory: repository.aliases,
      keys,
      load: (handle) => repository.load(handle),
      writer,
    }),
    crypto,
    versions,
    multipart,
    audit: audit.audit,
    keyUsage: audit.keyUsage(keys),
    writer,
    quorum,
    quorumValues: new QuorumValueService({ reader, writer, quorum }),
    keyQuorum: new KeyQuorumService({ reader, writer, keys, quorum }),
    userKeys: new UserKeyService({ reader, writer, challenges, quorum }),
  };
  return { services, sessions, repository, audit };
}

async function devAutoUnseal(dir: DataDir, cluster: ClusterService, logger: Logger): Promise<void> {
  logger.warn(
    'DEV MODE: the unseal share and dev credentials are stored in the data directory, and client certificates are optional. ' +
      'Never use dev mode for keys you care about.',
  );
  if (!(await exists(dir.devShare))) return;
  await cluster.unseal(decodeShare(await readFile(dir.devShare, 'utf8')));
}

function listeningPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return address.port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
