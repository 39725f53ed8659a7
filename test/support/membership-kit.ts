/**
 * A production cluster on real etcd for membership tests: the first node made by `cluster init`
 * (unsealed with 2 of 3 shares and activated), and further nodes added the way an operator
 * does — `node prepare` on a fresh data dir, `POST /v1/cluster/members` by an admin, `node
 * join` — each started in this process over its own data dir, certificate and TLS listener.
 * Every node and the etcd member are stopped by `stop()`, which the test's `after` calls.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { dataDir, type DataDir } from '../../src/cluster/data-dir.js';
import { initCluster, type InitResult } from '../../src/cluster/init.js';
import { joinNode, prepareNode } from '../../src/cluster/membership/join.js';
import type { JoinBundle } from '../../src/cluster/membership/node-admission.js';
import { startNode, type NodeOptions, type RunningNode } from '../../src/cluster/node.js';
import { openEtcdStore } from '../../src/store/etcd/etcd-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { createLogger } from '../../src/util/logger.js';
import { Api } from './api.js';
import { startEtcd, type EtcdCluster } from './etcd-process.js';

export interface KitNode {
  readonly dir: DataDir;
  readonly zone: string | undefined;
  node: RunningNode | undefined;
  readonly logs: string[];
}

export interface MembershipKit {
  readonly root: string;
  readonly etcd: EtcdCluster;
  /** A store client of the test's own, to look at what the nodes wrote. */
  readonly store: StateStore;
  readonly init: InitResult;
  readonly first: KitNode;
  /** The bootstrap client certificate: what an admin's CLI uses. */
  readonly clientTls: { ca: Buffer; cert: Buffer; key: Buffer };
  readonly api: Api;
  readonly adminPassword: string;
  admin(): Promise<string>;
  /** Prepares, admits (as admin) and joins a new node; does not start it. */
  addNode(zone: string | undefined): Promise<{ node: KitNode; bundle: JoinBundle }>;
  start(node: KitNode): Promise<RunningNode>;
  stopNode(node: KitNode): Promise<void>;
  /** Submits the threshold of shares to a node. */
  unsealWithShares(url: string): Promise<void>;
  stop(): Promise<void>;
}

export const MEMBER_TTL_SECONDS = 2;

export async function startMembershipKit(cleanup: (stop: () => Promise<void>) => void): Promise<MembershipKit> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-membership-'));
  let stopEtcd = async (): Promise<void> => undefined;
  const nodes: KitNode[] = [];
  const apis: Api[] = [];
  const opened: { store?: StateStore } = {};
  const stop = async (): Promise<void> => {
    for (const node of nodes) await node.node?.close().catch(() => undefined);
    for (const api of apis) await api.close();
    await opened.store?.close();
    await stopEtcd();
    await rm(root, { recursive: true, force: true });
  };
  cleanup(stop);
  const etcd = await startEtcd({ inMemory: true }, (stopIt) => {
    stopEtcd = stopIt;
  });
  const store = await openEtcdStore({ endpoints: etcd.endpoints });
  opened.store = store;
  const first: KitNode = { dir: dataDir(join(root, 'node-a')), zone: 'zone-a', node: undefined, logs: [] };
  nodes.push(first);
  const init = await initCluster({
    dataDir: first.dir.root,
    mode: 'production',
    seal: { shares: 3, threshold: 2 },
    outDir: join(root, 'out'),
    store: { kind: 'etcd', endpoints: etcd.endpoints },
  });
  const clientTls = {
    ca: await readFile(first.dir.caCert),
    cert: await readFile(init.clientCert!),
    key: await readFile(init.clientKey!),
  };
  const apiFor = (url: string): Api => {
    const api = new Api(url, clientTls);
    apis.push(api);
    return api;
  };
  const options = (node: KitNode): NodeOptions => ({
    dataDir: node.dir.root,
    port: 0,
    logger: createLogger({ level: 'debug', destination: lines(node.logs) }),
    ...(node.zone !== undefined && { zone: node.zone }),
    membershipTiming: { memberTtlSeconds: MEMBER_TTL_SECONDS, peerUnsealBackoffMs: 100 },
  });
  const kit: MembershipKit = {
    root,
    etcd,
    store,
    init,
    first,
    clientTls,
    api: undefined as unknown as Api,
    adminPassword: 'membership-admin-password-1',
    admin: () => kit.api.login('admin', kit.adminPassword),
    async addNode(zone) {
      const node: KitNode = { dir: dataDir(join(root, `node-${nodes.length + 1}`)), zone, node: undefined, logs: [] };
      nodes.push(node);
      const prepared = await prepareNode({ dataDir: node.dir.root });
      const token = await kit.admin();
      const answer = await kit.api.call<JoinBundle>('POST', '/v1/cluster/members', {
        token,
        body: { csr: await readFile(prepared.csrFile, 'utf8'), ...(zone !== undefined && { zone }) },
      });
      if (answer.status !== 201) throw new Error(`add-node: ${answer.text}`);
      await joinNode({ dataDir: node.dir.root, bundle: answer.body });
      return { node, bundle: answer.body };
    },
    async start(node) {
      node.node = await startNode(options(node));
      return node.node;
    },
    async stopNode(node) {
      await node.node?.close();
      node.node = undefined;
    },
    async unsealWithShares(url) {
      const api = apiFor(url);
      for (const file of init.shareFiles.slice(0, 2)) {
        const share = (await readFile(file, 'utf8')).trim();
        const answer = await api.call('POST', '/v1/cluster/unseal', { body: { share } });
        if (answer.status !== 200) throw new Error(`unseal: ${answer.text}`);
      }
    },
    stop,
  };
  const running = await kit.start(first);
  (kit as { api: Api }).api = apiFor(running.url);
  await kit.unsealWithShares(running.url);
  const activated = await kit.api.call('POST', '/v1/cluster/activate', { body: { password: kit.adminPassword } });
  if (activated.status !== 200) throw new Error(`activate: ${activated.text}`);
  return kit;
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function lines(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
}
