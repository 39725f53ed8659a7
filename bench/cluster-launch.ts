/**
 * The local cluster (src/cluster/local-cluster.ts) as the benchmark uses it: under a fresh
 * temporary state dir that goes with it, its client TLS files read, and the two faults the
 * failover measurement makes — a node killed (kill -9, started again, unsealed from a peer)
 * and the etcd leader killed (started again, a leader again).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster, type LocalNode } from '../src/cluster/local-cluster.js';
import type { EtcdMember } from '../src/store/etcd/etcd-members.js';

export interface BenchNode {
  readonly name: string;
  readonly url: string;
  readonly zone: string;
  readonly pid: number | undefined;
  /** kill -9: a crash, no shutdown. */
  kill(): Promise<void>;
  /** Started again on its data dir; resolves once it has unsealed from a peer. */
  restart(): Promise<void>;
}

export interface LaunchedCluster {
  readonly nodes: readonly BenchNode[];
  readonly etcd: readonly EtcdMember[];
  readonly admin: { readonly username: string; readonly password: string };
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  /** The member the others follow now (asked before a kill, so the kill is not delayed). */
  etcdLeader(): Promise<EtcdMember>;
  killEtcd(member: EtcdMember): Promise<void>;
  startEtcd(member: EtcdMember): Promise<void>;
  stop(): Promise<void>;
}

function benchNode(node: LocalNode): BenchNode {
  return {
    name: node.name,
    url: node.url,
    zone: node.zone,
    get pid() {
      return node.pid;
    },
    kill: () => node.kill('SIGKILL'),
    async restart() {
      await node.restart();
      await node.unsealed();
    },
  };
}

export async function launchCluster(): Promise<LaunchedCluster> {
  const stateDir = await mkdtemp(join(tmpdir(), 'coffer-bench-cluster-'));
  let cluster: LocalCluster | undefined;
  const stop = async (): Promise<void> => {
    await cluster?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    // etcd's default election timeout (1 s): the figures are for a cluster as deployed.
    cluster = await startLocalCluster({ stateDir, logLevel: 'info', etcdElectionMs: 1000 });
    const started = cluster;
    return {
      nodes: started.nodes.map(benchNode),
      etcd: started.etcd.members,
      admin: started.admin,
      tls: {
        ca: await readFile(started.clientTls.caFile),
        cert: await readFile(started.clientTls.certFile),
        key: await readFile(started.clientTls.keyFile),
      },
      etcdLeader: () => started.etcd.leader(),
      killEtcd: (member) => started.etcd.kill(member),
      startEtcd: (member) => started.etcd.start(member),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
