import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir, type DataDir } from '../../src/cluster/data-dir.js';
import { initCluster } from '../../src/cluster/init.js';
import { startNode, type RunningNode } from '../../src/cluster/node.js';
import type { StateStore } from '../../src/store/state-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { createLogger } from '../../src/util/logger.js';
import { Api } from './api.js';

/**
 * Several real nodes over ONE store, as the nodes of a cluster share etcd: each node has its
 * own barrier, audit writer, caches, session-bound memory and TLS listener on loopback; they
 * share only the store instance (its transactions and its watch). `openStore` gives the store
 * the nodes share, from the data dir `cluster init` wrote (the SQLite file by default; a
 * cluster store runs the same tests by bringing its own). Dev mode: each node unseals itself.
 */
export interface ClusterTestNode {
  readonly name: string;
  readonly node: RunningNode;
  readonly api: Api;
}

export interface TestCluster {
  readonly root: string;
  readonly dir: DataDir;
  readonly store: StateStore;
  readonly nodes: readonly ClusterTestNode[];
  readonly adminPassword: string;
  /** Creates a crypto user (through the first node) and returns its password. */
  cryptoUser(username: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  readonly nodes?: number;
  /** Each node's zone label, by index (none for a node past the list). */
  readonly zones?: readonly (string | undefined)[];
  readonly openStore?: (dir: DataDir) => Promise<StateStore>;
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-cluster-test-'));
  const dir = dataDir(join(root, 'data'));
  const init = await initCluster({
    dataDir: dir.root,
    mode: 'dev',
    seal: { shares: 1, threshold: 1 },
    outDir: dir.devDir,
  });
  const store = await (options.openStore ?? ((at: DataDir) => openSqliteStore(at.store)))(dir);
  const tls = {
    ca: await readFile(dir.caCert),
    cert: await readFile(init.clientCert!),
    key: await readFile(init.clientKey!),
  };
  const logger = createLogger({ level: 'silent' });
  const nodes: ClusterTestNode[] = [];
  const stop = async (): Promise<void> => {
    for (const { api, node } of nodes.splice(0)) {
      await api.close();
      await node.close();
    }
    await store.close();
    await rm(root, { recursive: true, force: true });
  };
  const adminPassword = `admin-${randomBytes(9).toString('base64url')}`;
  try {
    for (let i = 1; i <= (options.nodes ?? 2); i++) {
      const name = `node-${i}`;
      const zone = options.zones?.[i - 1];
      const node = await startNode({
        dataDir: dir.root,
        port: 0,
        logger,
        sharedStore: store,
        nodeId: name,
        ...(zone !== undefined && { zone }),
      });
      nodes.push({ name, node, api: new Api(node.url, tls) });
    }
    const activated = await nodes[0]!.api.call('POST', '/v1/cluster/activate', { body: { password: adminPassword } });
    if (activated.status !== 200) throw new Error(`activate: ${activated.text}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    root,
    dir,
    store,
    nodes,
    adminPassword,
    async cryptoUser(username) {
      const api = nodes[0]!.api;
      const admin = await api.login('admin', adminPassword);
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const created = await api.call('POST', '/v1/users', {
        token: admin,
        body: { username, role: 'crypto-user', password },
      });
      if (created.status !== 201) throw new Error(`create ${username}: ${created.text}`);
      await api.call('DELETE', '/v1/sessions/current', { token: admin });
      return password;
    },
    stop,
  };
}
