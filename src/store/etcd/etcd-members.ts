/**
 * Real etcd members on loopback (Debian's etcd-server: /usr/bin/etcd), for tests, benchmarks
 * and the local-cluster launcher: 1 or 3 members on free loopback ports with temporary data
 * dirs (or under a directory the caller owns), started and waited for until they have a
 * leader; kill -9, graceful stop and restart of one member; the leader. Pass the test's `after`
 * (or `t.after`) as `cleanup`, so members are stopped and their dirs removed even when the test
 * fails; a process exit also kills them, so none outlives the process that started them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient, type EtcdTls } from './etcd-client.js';
import { METHODS } from './etcd-wire.js';
import { ETCD_MAX_REQUEST_BYTES } from '../state-store.js';
import { freePort } from '../../util/free-port.js';

export const ETCD_BINARY = process.env.COFFER_ETCD_BINARY ?? '/usr/bin/etcd';

export interface EtcdServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** What the test's own client uses to reach the members (health checks, leader). */
  readonly client: EtcdTls;
}

export interface EtcdOptions {
  readonly members?: 1 | 3;
  /** Data dirs in memory (/dev/shm): for tests that need no durability across power loss. */
  readonly inMemory?: boolean;
  /** Serve clients over TLS and require a client certificate issued by caFile. */
  readonly tls?: EtcdServerTls;
  /** etcd's --election-timeout; the heartbeat is a tenth of it. */
  readonly electionMs?: number;
  /** Put the data dirs here, and keep them at stop (else a temporary dir, removed at stop). */
  readonly dir?: string;
  /** etcd's log level (error by default). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface EtcdMember {
  readonly name: string;
  /** host:port, for EtcdClient and openEtcdStore. */
  readonly endpoint: string;
  readonly running: boolean;
  /** The running process's id, if running. */
  readonly pid: number | undefined;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: readonly string[];
  /** The member the others follow, asked of the running members. */
  leader(): Promise<EtcdMember>;
  /** SIGKILL, as a crash: no shutdown, no flush. */
  kill(member: EtcdMember): Promise<void>;
  /** SIGTERM, as an operator's stop (SIGKILL after 5 s). */
  stopMember(member: EtcdMember): Promise<void>;
  /** Starts a stopped member again on its data dir and ports, and waits until it has a leader. */
  restart(member: EtcdMember): Promise<void>;
  stop(): Promise<void>;
}

interface Member extends EtcdMember {
  readonly clientPort: number;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  stderr: string;
  running: boolean;
  readonly pid: number | undefined;
}

const STARTUP_TIMEOUT_MS = 20_000;
const POLL_MS = 20;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;
const live = new Set<ChildProcess>();

// A test process that exits, however, takes its etcd members with it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function memberArgs(member: Member, cluster: string, token: string, options: EtcdOptions): string[] {
  const electionMs = options.electionMs ?? (options.members === 3 ? 500 : 50);
  const scheme = options.tls ? 'https' : 'http';
  const clientUrl = `${scheme}://127.0.0.1:${member.clientPort}`;
  return [
    `--name=${member.name}`,
    `--data-dir=${member.dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${member.peerUrl}`,
    `--initial-advertise-peer-urls=${member.peerUrl}`,
    `--initial-cluster=${cluster}`,
    `--initial-cluster-token=${token}`,
    '--initial-cluster-state=new',
    `--election-timeout=${electionMs}`,
    `--heartbeat-interval=${Math.max(10, Math.round(electionMs / 10))}`,
    `--max-request-bytes=${ETCD_MAX_REQUEST_BYTES}`,
    '--logger=zap',
    `--log-level=${options.logLevel ?? 'error'}`,
    ...(options.tls
      ? [
          `--cert-file=${options.tls.certFile}`,
          `--key-file=${options.tls.keyFile}`,
          `--trusted-ca-file=${options.tls.caFile}`,
          '--client-cert-auth',
        ]
      : []),
  ];
}

function launch(member: Member, args: readonly string[]): void {
  const child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  member.process = child;
  member.running = true;
  member.stderr = '';
  live.add(child);
  child.stderr?.on('data', (chunk: Buffer) => {
    member.stderr = (member.stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.once('exit', () => {
    live.delete(child);
    if (member.process === child) member.running = false;
  });
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function statusOf(member: Member, tls: EtcdTls | undefined) {
  const client = new EtcdClient({ endpoints: [member.endpoint], timeoutMs: 1000, ...(tls ? { tls } : {}) });
  try {
    return await client.unary(METHODS.status, {}, 'read');
  } finally {
    client.close();
  }
}

async function hasLeader(member: Member, tls: EtcdTls | undefined): Promise<boolean> {
  try {
    return (await statusOf(member, tls)).leader !== '0';
  } catch {
    return false;
  }
}

async function waitHealthy(members: readonly Member[], tls: EtcdTls | undefined): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await Promise.all(members.map((member) => hasLeader(member, tls)))).every(Boolean)) {
    const failed = members.find((member) => !member.running);
    if (failed !== undefined || Date.now() > deadline) {
      const culprit = failed ?? members[0];
      throw new Error(`etcd ${culprit?.name} did not become healthy: ${culprit?.stderr.trim() || '(no output)'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Every member sees the whole cluster: no member formed a cluster of its own. */
async function checkMembership(members: readonly Member[], tls: EtcdTls | undefined): Promise<void> {
  for (const member of members) {
    const client = new EtcdClient({ endpoints: [member.endpoint], timeoutMs: 2000, ...(tls ? { tls } : {}) });
    try {
      const list = await client.unary(METHODS.memberList, {}, 'read');
      const names = list.members.map((entry) => entry.name).sort();
      const expected = members.map((candidate) => candidate.name).sort();
      if (names.join() !== expected.join()) throw new Error(`${member.name} sees members ${names.join(', ')}`);
    } finally {
      client.close();
    }
  }
}

async function startOnce(root: string, options: EtcdOptions): Promise<Member[]> {
  const count = options.members ?? 1;
  const members: Member[] = [];
  for (let index = 1; index <= count; index++) {
    const clientPort = await freePort();
    const peerPort = await freePort();
    members.push({
      name: `etcd-${index}`,
      endpoint: `127.0.0.1:${clientPort}`,
      clientPort,
      peerUrl: `http://127.0.0.1:${peerPort}`,
      dataDir: join(root, `etcd-${index}-${randomBytes(3).toString('hex')}`),
      process: undefined,
      stderr: '',
      running: false,
      get pid() {
        return this.running ? this.process?.pid : undefined;
      },
    });
  }
  const cluster = members.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  const token = `coffer-test-${randomBytes(6).toString('hex')}`;
  for (const member of members) launch(member, memberArgs(member, cluster, token, options));
  try {
    await waitHealthy(members, options.tls?.client);
    await checkMembership(members, options.tls?.client);
    return members;
  } catch (error) {
    await Promise.all(members.map((member) => stopProcess(member.process, 'SIGKILL')));
    throw error;
  }
}

export async function startEtcd(
  options: EtcdOptions,
  cleanup: (stop: () => Promise<void>) => void,
): Promise<EtcdCluster> {
  const base = options.inMemory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = options.dir ?? (await mkdtemp(join(base, 'coffer-etcd-')));
  let members: Member[] | undefined;
  const stop = async (): Promise<void> => {
    // SIGKILL: the data dir goes next, and a graceful stop of a 3-member cluster takes seconds.
    await Promise.all((members ?? []).map((member) => stopProcess(member.process, 'SIGKILL')));
    if (options.dir === undefined) await rm(root, { recursive: true, force: true });
  };
  cleanup(stop);
  // A free port can be taken between the check and etcd's bind (other tests run alongside).
  for (let attempt = 1; members === undefined; attempt++) {
    try {
      members = await startOnce(root, options);
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
    }
  }
  const started = members;
  const argsOf = new Map(
    started.map((member) => [
      member,
      memberArgs(
        member,
        started.map((candidate) => `${candidate.name}=${candidate.peerUrl}`).join(','),
        'restart',
        options,
      ),
    ]),
  );
  const own = (member: EtcdMember): Member => {
    const found = started.find((candidate) => candidate === member);
    if (found === undefined) throw new Error(`${member.name} is not a member of this cluster`);
    return found;
  };
  return {
    members: started,
    endpoints: started.map((member) => member.endpoint),
    async leader() {
      for (const member of started.filter((candidate) => candidate.running)) {
        try {
          const status = await statusOf(member, options.tls?.client);
          if (status.leader !== '0' && status.header?.member_id === status.leader) return member;
        } catch {
          // A member that does not answer is not the leader.
        }
      }
      throw new Error('no etcd member says it is the leader');
    },
    async kill(member) {
      await stopProcess(own(member).process, 'SIGKILL');
    },
    async stopMember(member) {
      await stopProcess(own(member).process, 'SIGTERM');
    },
    async restart(member) {
      const target = own(member);
      if (target.running) throw new Error(`${member.name} is running`);
      // On an existing data dir etcd ignores the initial-cluster flags: it rejoins as itself.
      launch(target, argsOf.get(target) ?? []);
      await waitHealthy([target], options.tls?.client);
    },
    stop,
  };
}
