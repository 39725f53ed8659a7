import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/server.js';
import { type AuditNodeOptions } from '../audit/node-audit.js';
import { decodeShare } from '../barrier/unseal-shares.js';
import { runSelfTests } from '../crypto/self-test/run.js';
import type { SelfTest } from '../crypto/types.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import { UserService } from '../identity/user-service.js';
import type { KeyService } from '../keys/key-service.js';
import type { KeyUseGate } from '../keys/key-use-gate.js';
import { describeStore, openStore, SQLITE_STORE, type StoreConfig } from '../store/store-config.js';
import type { StateStore } from '../store/state-store.js';
import { checkPrivateDirectory, exists } from '../util/files.js';
import { createLogger } from '../util/logger.js';
import { COFFER_VERSION } from '../version.js';
import { readClusterFile } from './cluster-file.js';
import { wireServices, type WiringOptions } from './services-wiring.js';
import { ClusterService, type NodeInfo } from './cluster-service.js';
import { dataDir, type DataDir } from './data-dir.js';
import { StaticMembership, type ClusterNode } from './membership.js';

export interface NodeOptions extends AuditNodeOptions, WiringOptions {
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  /** Refuse to start unless the cluster was initialized in dev mode (`--dev`). */
  readonly requireDev?: boolean;
  /** The known-answer tests to run at start (all of them unless a test replaces them). */
  readonly selfTests?: readonly SelfTest[];
  /** The state store, when not the one cluster.json names (etcd endpoints moved, say). */
  readonly store?: StoreConfig;
  /**
   * A store already open and shared with other nodes in this process (tests of several nodes
   * over one store); the caller closes it. With it, `nodeId` names this node (the data dir's by
   * default).
   */
  readonly sharedStore?: StateStore;
  readonly nodeId?: string;
  /** This node's zone label: clients in the same zone prefer it. */
  readonly zone?: string;
  /** The URL clients reach this node at (default: the one it listens on). */
  readonly advertiseUrl?: string;
  /** The other nodes clients may discover from this one (static membership). */
  readonly peers?: readonly ClusterNode[];
  /** The clock the node reads for what expires (tests move it instead of waiting). */
  readonly clock?: () => Date;
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
  readonly gate: KeyUseGate;
  readonly startupMs: number;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 2225;
/** Expired sessions and challenges are swept about this often, jittered so nodes rarely coincide. */
const SWEEP_MS = 60_000;
/** Expired idempotency records are swept about this often (every node; a lost race is harmless). */
const IDEMPOTENCY_SWEEP_MS = 10 * 60_000;

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

  const tls = {
    key: await readFile(dir.nodeKey),
    cert: await readFile(dir.nodeCert),
    ca: await readFile(dir.caCert),
    requireClientCert: file.mode !== 'dev',
  };
  // Opened once the files are read: a missing file leaves no store connection behind.
  const storeConfig = options.store ?? file.store ?? SQLITE_STORE;
  const store = options.sharedStore ?? (await openStore(storeConfig, dir.store));
  if (!options.sharedStore) logger.info({ store: describeStore(storeConfig) }, 'state store open');
  const info: NodeInfo = {
    clusterId: file.clusterId,
    nodeId: options.nodeId ?? file.nodeId,
    mode: file.mode,
    ca: file.ca,
    version: COFFER_VERSION,
  };
  const membership = new StaticMembership(options.zone, options.peers);
  const wired = wireServices(store, info, file.seal, logger, { ...options, membership }, options.clock);
  const app = buildServer(tls, wired.services, logger);
  const sweep = async (): Promise<void> => {
    if (wired.services.cluster.sealed) return;
    await wired.sessions.sweep();
    await wired.challenges.sweep();
  };
  const sweeper = setInterval(
    () => void sweep().catch((error: unknown) => logger.warn({ code: codeOf(error) }, 'the expiry sweep failed')),
    SWEEP_MS + randomInt(0, SWEEP_MS / 10),
  ).unref();
  const idempotencySweeper = setInterval(
    () => {
      if (wired.services.cluster.sealed) return;
      wired.idempotency.sweep().catch((error: unknown) => {
        logger.warn({ code: codeOf(error) }, 'the idempotency sweep failed');
      });
    },
    IDEMPOTENCY_SWEEP_MS + randomInt(0, IDEMPOTENCY_SWEEP_MS / 10),
  ).unref();
  const close = async (): Promise<void> => {
    clearInterval(sweeper);
    clearInterval(idempotencySweeper);
    await app.close();
    await wired.audit.stop();
    // The sessions stay in the store (another node, or this one restarted, serves them); only
    // what this node held for them goes.
    wired.sessions.stop();
    wired.repository.close();
    if (!options.sharedStore) await store.close();
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
  const url = `https://${urlHost(options.host ?? '127.0.0.1')}:${port}`;
  membership.listening(options.advertiseUrl ?? url);
  const startupMs = Math.round(performance.now() - started);
  logger.info({ port, mode: file.mode, sealed: wired.services.cluster.sealed, startupMs }, 'node started');
  return {
    url,
    port,
    info,
    dir,
    cluster: wired.services.cluster,
    users: wired.services.users,
    keys: wired.services.keys,
    gate: wired.services.gate,
    startupMs,
    close,
  };
}

async function devAutoUnseal(dir: DataDir, cluster: ClusterService, logger: Logger): Promise<void> {
  logger.warn(
    'DEV MODE: the unseal share and dev credentials are stored in the data directory, and client certificates are optional. ' +
      'Never use dev mode for keys you care about.',
  );
  if (!(await exists(dir.devShare))) return;
  await cluster.unseal(decodeShare(await readFile(dir.devShare, 'utf8')));
}

function codeOf(error: unknown): string {
  return isCofferError(error) ? error.code : 'INTERNAL_ERROR';
}

function listeningPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return address.port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
