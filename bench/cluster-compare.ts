/**
 * A three-node Coffer cluster on a three-member etcd, measured in one run (every process a
 * child of this one, on loopback; all of it stopped on exit, on failure and on Ctrl-C too):
 *
 *   1. signs (P-256 ECDSA, RSA-2048 PSS) through one node, and through the SDK given all three
 *   2. durable AES-256 token key creations through one node, through all three, and through a
 *      `coffer up` node on the embedded SQLite store; one at a time, etcd's p50 against SQLite's
 *   3. the audit chain with the three nodes writing at once: each node's share, refusals, and
 *      the chain exported and verified gap-free afterwards
 *   4. the failover window a client sees: kill -9 of the busiest node, then of the etcd
 *      leader, each `repeats` times, with the median
 *
 * and every process's peak resident memory. Prints figures only.
 *
 *   node dist/bench/cluster-compare.js [seconds=5] [concurrency=16] [repeats=3]
 */
import { loadavg } from 'node:os';
import { CofferClient } from '../src/client/client.js';
import type { CofferSession } from '../src/client/session.js';
import { describeVerify, exportChain, measureContention, printContention } from './cluster-audit.js';
import { startDevNode, type DevNode } from './cluster-dev-node.js';
import { measureFailover, printFailover, type FailoverTarget } from './cluster-failover.js';
import {
  createStep,
  measure,
  printPeakRss,
  printRows,
  signKeys,
  signStep,
  type Row,
  type Watched,
} from './cluster-measure.js';
import { verifyExport } from '../src/audit/verify.js';
import { launchCluster, type LaunchedCluster } from './cluster-launch.js';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 16);
const repeats = Number(process.argv[4] ?? 3);
const USER = 'bench';
const USER_PASSWORD = 'bench-password-Cluster-1';

const stops: (() => Promise<void>)[] = [];
const stopAll = async (): Promise<void> => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function clientOf(
  urls: readonly string[],
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<CofferClient> {
  const client = new CofferClient({ endpoints: urls, ...tls });
  stops.push(() => client.close());
  return client;
}

async function loginAs(client: CofferClient, username: string, password: string): Promise<CofferSession> {
  return client.login(username, password);
}

try {
  console.log(
    `coffer cluster benchmark: ${seconds} s a measurement, ${concurrency} in flight, ${repeats} failover trials; load average ${load()}`,
  );
  const cluster: LaunchedCluster = await launchCluster();
  stops.push(() => cluster.stop());
  const urls = cluster.nodes.map((node) => node.url);
  console.log(`cluster: ${cluster.nodes.map((node) => `${node.name} ${node.url} zone ${node.zone}`).join('; ')}`);

  let dev: DevNode | undefined;
  const watched: Watched = () =>
    new Map<string, number | undefined>([
      ...cluster.nodes.map((node) => [`coffer ${node.name} (etcd)`, node.pid] as const),
      ...cluster.etcd.map((member) => [`etcd ${member.name}`, member.pid] as const),
      ...(dev ? [['coffer dev node (SQLite)', dev.pid] as const] : []),
      ['benchmark client', process.pid] as const,
    ]);

  const all = await clientOf(urls, cluster.tls);
  const admin = await loginAs(all, cluster.admin.username, cluster.admin.password);
  await admin.createUser(USER, 'crypto-user', USER_PASSWORD);
  const user3 = await loginAs(all, USER, USER_PASSWORD);
  const user1 = await loginAs(await clientOf([urls[0]!], cluster.tls), USER, USER_PASSWORD);
  const keys = await signKeys(user3);

  // 1. Signs.
  const signs: Row[] = [];
  for (const key of keys) {
    signs.push(await measure(`${key.name}, 1 node`, concurrency, seconds, watched, signStep(user1, key)));
    signs.push(await measure(`${key.name}, 3 nodes (SDK)`, concurrency, seconds, watched, signStep(user3, key)));
  }
  printRows('1. Signs through the SDK', signs);

  // 2. Durable key creations: the etcd cluster, then the embedded store.
  const creates: Row[] = [];
  creates.push(await measure('AES-256, etcd, 1 node', concurrency, seconds, watched, createStep(user1, 'c1')));
  creates.push(await measure('AES-256, etcd, 3 nodes (SDK)', concurrency, seconds, watched, createStep(user3, 'c3')));
  const etcdSerial = await measure('AES-256, etcd, 1 node', 1, seconds, watched, createStep(user1, 's1'));
  creates.push(etcdSerial);
  dev = await startDevNode();
  const devNode = dev;
  stops.push(() => devNode.stop());
  const devClient = await clientOf([dev.url], dev.tls);
  const devAdmin = await loginAs(devClient, 'admin', dev.adminPassword);
  await devAdmin.createUser(USER, 'crypto-user', USER_PASSWORD);
  const devUser = await loginAs(devClient, USER, USER_PASSWORD);
  creates.push(await measure('AES-256, SQLite, 1 node', concurrency, seconds, watched, createStep(devUser, 'd')));
  const sqliteSerial = await measure('AES-256, SQLite, 1 node', 1, seconds, watched, createStep(devUser, 'ds'));
  creates.push(sqliteSerial);
  await devNode.stop();
  dev = undefined;
  printRows('2. Durable key creations (each its record, indexes and audit event in one transaction)', creates);
  const added = etcdSerial.result.latency.p50 - sqliteSerial.result.latency.p50;
  console.log(
    `etcd adds ${added.toFixed(2)} ms to one key creation at p50 (${etcdSerial.result.latency.p50.toFixed(2)} against ${sqliteSerial.result.latency.p50.toFixed(2)} ms)`,
  );

  // 3. The audit chain with three writers.
  const writers = await Promise.all(
    cluster.nodes.map(async (node) => ({
      node: node.name,
      session: await loginAs(await clientOf([node.url], cluster.tls), USER, USER_PASSWORD),
    })),
  );
  printContention(await measureContention(writers, admin, seconds, concurrency), concurrency);

  // 4. Failover.
  const target: FailoverTarget = {
    nodes: cluster.nodes.map((node) => ({
      name: node.name,
      url: node.url,
      zone: node.zone,
      kill: () => node.kill(),
      restart: () => node.restart(),
    })),
    tls: cluster.tls,
    user: { username: USER, password: USER_PASSWORD },
    async etcdLeader() {
      const leader = await cluster.etcdLeader();
      return { name: leader.name, kill: () => cluster.killEtcd(leader), restart: () => cluster.startEtcd(leader) };
    },
  };
  printFailover(await measureFailover(target, keys[0]!, Math.min(concurrency, 8), repeats), Math.min(concurrency, 8));
  const afterAll = await loginAs(await clientOf(urls, cluster.tls), cluster.admin.username, cluster.admin.password);
  console.log(`chain after every kill: ${describeVerify(verifyExport(await exportChain(afterAll)))}`);

  printPeakRss();
  console.log(`\nload average at the end: ${load()}`);
} finally {
  await stopAll();
}
