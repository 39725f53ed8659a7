import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { dataDir, type DataDir } from '../../src/cluster/data-dir.js';
import { initCluster, type InitResult } from '../../src/cluster/init.js';
import { startNode, type NodeOptions, type RunningNode } from '../../src/cluster/node.js';
import { createLogger } from '../../src/util/logger.js';
import { Api } from './api.js';

/**
 * A real node for integration tests: a fresh data dir, `cluster init`, a node on a loopback
 * port over real TLS, unsealed and activated through the real API. Logs are captured (as
 * the JSON lines pino writes) so tests can scan them.
 */
export interface TestNode {
  readonly root: string;
  readonly dir: DataDir;
  readonly init: InitResult;
  readonly api: Api;
  readonly adminPassword: string;
  readonly logs: string[];
  node: RunningNode;
  /** Creates a crypto user and returns its session token. */
  cryptoUser(username: string): Promise<{ token: string; password: string }>;
  /** Stops the node and starts it again on the same data dir (sealed, in production). */
  restart(): Promise<void>;
  unsealAll(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestNodeOptions {
  readonly mode?: 'dev' | 'production';
  readonly seal?: { shares: number; threshold: number };
  /** Leave the node sealed and unactivated (production only). */
  readonly raw?: boolean;
  /** The node's audit options (e.g. `auditCryptoUse`), kept across restarts. */
  readonly audit?: Pick<NodeOptions, 'auditCryptoUse' | 'auditCheckpointEvery' | 'usageFlushMs'>;
  /** Other node options, kept across restarts. */
  readonly node?: Pick<NodeOptions, 'idempotencyRetentionMs' | 'zone' | 'peers' | 'advertiseUrl'>;
  /** The node's clock (NodeOptions.clock), for what expires. */
  readonly clock?: () => Date;
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const mode = options.mode ?? 'dev';
  const root = await mkdtemp(join(tmpdir(), 'coffer-test-'));
  const dir = dataDir(join(root, 'data'));
  const outDir = mode === 'dev' ? dir.devDir : join(root, 'out');
  const seal = options.seal ?? (mode === 'dev' ? { shares: 1, threshold: 1 } : { shares: 3, threshold: 2 });
  const init = await initCluster({ dataDir: dir.root, mode, seal, outDir });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const launch = (port = 0): Promise<RunningNode> =>
    startNode({
      ...options.audit,
      ...options.node,
      dataDir: dir.root,
      port,
      logger,
      ...(options.clock && { clock: options.clock }),
    });
  const node = await launch();
  const clientTls = async () => ({
    ca: await readFile(dir.caCert),
    cert: await readFile(init.clientCert!),
    key: await readFile(init.clientKey!),
  });
  const api = new Api(node.url, await clientTls());
  const adminPassword = `admin-${randomBytes(9).toString('base64url')}`;

  const testNode: TestNode = {
    root,
    dir,
    init,
    api,
    adminPassword,
    logs,
    node,
    async cryptoUser(username) {
      const admin = await api.login('admin', adminPassword);
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const created = await api.call('POST', '/v1/users', {
        token: admin,
        body: { username, role: 'crypto-user', password },
      });
      if (created.status !== 201) throw new Error(`create ${username}: ${created.text}`);
      return { token: await api.login(username, password), password };
    },
    async restart() {
      const port = testNode.node.port;
      await testNode.node.close();
      testNode.node = await launch(port);
      if (mode === 'production') await testNode.unsealAll();
    },
    async unsealAll() {
      for (const file of init.shareFiles.slice(0, seal.threshold)) {
        const share = (await readFile(file, 'utf8')).trim();
        const answer = await api.call('POST', '/v1/cluster/unseal', { body: { share } });
        if (answer.status !== 200) throw new Error(`unseal: ${answer.text}`);
      }
    },
    async stop() {
      await api.close();
      await testNode.node.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  if (options.raw) return testNode;
  if (mode === 'production') await testNode.unsealAll();
  const activated = await api.call('POST', '/v1/cluster/activate', { body: { password: adminPassword } });
  if (activated.status !== 200) throw new Error(`activate: ${activated.text}`);
  return testNode;
}
