/**
 * A local production cluster on one machine: 3 etcd members and 3 Coffer nodes as child
 * processes on loopback (free ports), under one state dir, in zones zone-a/b/c. It is made the
 * way an operator makes one, through the `coffer` CLI: `cluster init --store etcd://…` on node
 * 1, `node start`, 2 of 3 shares to unseal, `cluster activate`; then for nodes 2 and 3
 * `node prepare` → `cluster add-node --node-zone` → `node join` → `node start`, and they unseal
 * from a peer. It writes the admin PIN (0600), a CLI/SDK client config and a PKCS#11 module
 * config listing all three nodes with their zones, and the pids (for `make cluster-down`).
 * A process exit kills every child it started.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CofferClient } from '../client/index.js';
import { startEtcd, type EtcdCluster, type EtcdMember } from '../store/etcd/etcd-members.js';
import { writePrivateFile } from '../util/files.js';
import { freePort } from '../util/free-port.js';
import { writePkcs11Config } from './pkcs11-config.js';

/** The CLI entry point, next to this file in dist/. */
export const COFFER_CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
export const LOCAL_ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalClusterOptions {
  /** Where everything goes (data dirs, logs, credentials, configs); created if missing, must be empty. */
  readonly stateDir: string;
  /** The nodes' log level (COFFER_LOG_LEVEL), `info` by default. */
  readonly logLevel?: string;
  /** etcd's election timeout (ms): a leader lost is replaced after about this long. */
  readonly etcdElectionMs?: number;
}

export interface LocalNode {
  readonly name: string;
  readonly url: string;
  readonly zone: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** The running process's id, undefined while it is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Signals the process and waits for it to exit (SIGTERM: a clean stop; SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on its data dir and port (sealed: it unseals from a peer); waits until it serves. */
  restart(): Promise<void>;
  /** Waits until the node says it is unsealed. */
  unsealed(timeoutMs?: number): Promise<void>;
}

export interface LocalEtcd {
  readonly members: readonly EtcdMember[];
  /** The client URLs (http://127.0.0.1:port). */
  readonly clientUrls: readonly string[];
  leader(): Promise<EtcdMember>;
  kill(member: EtcdMember): Promise<void>;
  stop(member: EtcdMember): Promise<void>;
  /** Starts a stopped member again on its data dir; waits until it has a leader. */
  start(member: EtcdMember): Promise<void>;
}

export interface ClientFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface LocalCluster {
  readonly stateDir: string;
  readonly etcd: LocalEtcd;
  readonly nodes: readonly LocalNode[];
  /** `admin:<password>` is in `pinFile` (0600), as COFFER_PIN takes it. */
  readonly admin: { readonly username: string; readonly password: string; readonly pinFile: string };
  /** The bootstrap client certificate and the cluster CA. */
  readonly clientTls: ClientFiles;
  /** The CLI/SDK client config (COFFER_CONFIG) and the PKCS#11 module's (COFFER_PKCS11_CONF). */
  readonly clientConfig: string;
  readonly pkcs11Config: string;
  /** `URL#zone` for each node, as the SDK and `--endpoint` take them. */
  readonly endpoints: readonly string[];
  /** Stops every node and etcd member; the state dir stays. */
  stop(): Promise<void>;
}

/** What `make cluster-down` reads: the launcher's pid and every child's. */
export interface LocalClusterPids {
  readonly launcher: number;
  readonly children: readonly number[];
}

export const PIDS_FILE = 'pids.json';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

interface NodePlan {
  readonly name: string;
  readonly zone: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
}

class NodeProcess implements LocalNode {
  private child: ChildProcess | undefined;
  readonly url: string;

  constructor(
    private readonly plan: NodePlan,
    private readonly env: NodeJS.ProcessEnv,
    private readonly health: (url: string) => Promise<{ sealed: boolean } | undefined>,
    private readonly changed: () => Promise<void>,
  ) {
    this.url = `https://127.0.0.1:${plan.port}`;
  }

  get name(): string {
    return this.plan.name;
  }
  get zone(): string {
    return this.plan.zone;
  }
  get dataDir(): string {
    return this.plan.dataDir;
  }
  get logFile(): string {
    return this.plan.logFile;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Starts the process and waits until /v1/health answers. */
  async launch(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is running`);
    const log = openSync(this.plan.logFile, 'a', 0o600);
    const args = ['node', 'start', '--data-dir', this.plan.dataDir, '--host', '127.0.0.1'];
    args.push('--port', String(this.plan.port), '--zone', this.plan.zone);
    const child = spawn(process.execPath, [COFFER_CLI, ...args], { stdio: ['ignore', log, log], env: this.env });
    closeSync(log);
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    await this.changed();
    await this.until('serving', async () => (await this.health(this.url)) !== undefined);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child !== undefined) await waitExit(this.child, signal);
    await this.changed();
  }

  restart(): Promise<void> {
    return this.launch();
  }

  unsealed(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    return this.until('unsealed', async () => (await this.health(this.url))?.sealed === false, timeoutMs);
  }

  private async until(what: string, check: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (!this.running) throw new Error(`${this.name} exited before ${what}: see ${this.plan.logFile}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ${what} after ${timeoutMs} ms: see ${this.plan.logFile}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

/** Runs the coffer CLI with --json and returns its `data`. */
async function coffer(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Record<string, unknown>> {
  try {
    const result = await promisify(execFile)(process.execPath, [COFFER_CLI, ...args, '--json'], {
      encoding: 'utf8',
      env,
    });
    return (JSON.parse(result.stdout) as { data: Record<string, unknown> }).data;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message?: string };
    // The CLI's own answer; the environment (the admin PIN) is never part of it.
    throw new Error(`coffer ${args.slice(0, 2).join(' ')} failed: ${failed.stdout || failed.stderr}`, {
      cause: error,
    });
  }
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const stateDir = resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const logs = join(stateDir, 'logs');
  await mkdir(logs, { recursive: true, mode: 0o700 });
  const etcdDir = join(stateDir, 'etcd');
  await mkdir(etcdDir, { recursive: true, mode: 0o700 });
  const nodes: NodeProcess[] = [];
  let etcd: EtcdCluster | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
    await etcd?.stop();
  };
  try {
    etcd = await startEtcd({ members: 3, dir: etcdDir, electionMs: options.etcdElectionMs ?? 1000 }, () => undefined);
    const started = etcd;
    const admin = { username: 'admin', password: `local-${randomBytes(12).toString('base64url')}` };
    const pinFile = join(stateDir, 'admin.pin');
    await writePrivateFile(pinFile, `${admin.username}:${admin.password}\n`);
    const outDir = join(stateDir, 'admin');
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, COFFER_LOG_LEVEL: options.logLevel ?? 'info' };
    for (const name of ['COFFER_ENDPOINT', 'COFFER_CONFIG', 'COFFER_PIN', 'COFFER_DATA_DIR', 'COFFER_ZONE'])
      delete baseEnv[name];

    const plans: NodePlan[] = [];
    for (const [index, zone] of LOCAL_ZONES.entries()) {
      const name = `node-${index + 1}`;
      plans.push({
        name,
        zone,
        port: await freePort(),
        dataDir: join(stateDir, name),
        logFile: join(logs, `${name}.log`),
      });
    }
    const [first, ...others] = plans as [NodePlan, ...NodePlan[]];
    // The new machines' keys and CSRs need no cluster: made while node 1 is initialized.
    const quiet = { ...baseEnv, COFFER_LOG_LEVEL: 'silent' };
    const preparing = others.map((plan) => coffer(quiet, 'node', 'prepare', '--data-dir', plan.dataDir));
    preparing.forEach((pending) => pending.catch(() => undefined));
    const init = await coffer(
      quiet,
      'cluster',
      'init',
      '--data-dir',
      first.dataDir,
      '--out-dir',
      outDir,
      '--unseal',
      '2-of-3',
      '--store',
      `etcd://${started.endpoints.join(',')}`,
    );
    const clientTls: ClientFiles = {
      caFile: join(first.dataDir, 'tls', 'ca.crt'),
      certFile: String(init.clientCert),
      keyFile: String(init.clientKey),
    };
    const tls = {
      ca: await readFile(clientTls.caFile),
      cert: await readFile(clientTls.certFile),
      key: await readFile(clientTls.keyFile),
    };
    const health = async (url: string): Promise<{ sealed: boolean } | undefined> => {
      const client = new CofferClient({ endpoints: [url], ...tls });
      try {
        return await client.health();
      } catch {
        return undefined;
      } finally {
        await client.close();
      }
    };
    const pidsFile = join(stateDir, PIDS_FILE);
    const writePids = async (): Promise<void> => {
      const children = [...started.members.map((member) => member.pid), ...nodes.map((node) => node.pid)];
      const pids: LocalClusterPids = {
        launcher: process.pid,
        children: children.filter((pid): pid is number => pid !== undefined),
      };
      await writeFile(pidsFile, JSON.stringify(pids) + '\n', { mode: 0o600 });
    };
    const endpoints = plans.map((plan) => `https://127.0.0.1:${plan.port}#${plan.zone}`);
    const clientConfig = join(stateDir, 'client.json');
    await writePrivateFile(clientConfig, JSON.stringify({ endpoints, ...clientTls }, null, 2) + '\n');
    const cliEnv = { ...baseEnv, COFFER_LOG_LEVEL: 'silent', COFFER_CONFIG: clientConfig };

    const one = new NodeProcess(first, baseEnv, health, writePids);
    nodes.push(one);
    await one.launch();
    const at = ['--endpoint', one.url];
    for (const share of (init.shareFiles as string[]).slice(0, 2))
      await coffer(cliEnv, 'cluster', 'unseal', ...at, '--share-file', share);
    await coffer({ ...cliEnv, COFFER_ACTIVATE_PASSWORD: admin.password }, 'cluster', 'activate', ...at);

    const adminEnv = { ...cliEnv, COFFER_PIN: `${admin.username}:${admin.password}` };
    const joining = others.map((plan) => new NodeProcess(plan, baseEnv, health, writePids));
    nodes.push(...joining);
    await Promise.all(
      joining.map(async (node, index) => {
        const plan = others[index] as NodePlan;
        const prepared = await preparing[index];
        const bundle = join(stateDir, `${plan.name}.bundle.json`);
        const csr = String(prepared?.['csr-path']);
        await coffer(adminEnv, 'cluster', 'add-node', ...at, '--csr', csr, '--node-zone', plan.zone, '--out', bundle);
        await coffer(cliEnv, 'node', 'join', '--data-dir', plan.dataDir, '--bundle', bundle);
        await node.launch();
      }),
    );
    await Promise.all(nodes.map((node) => node.unsealed()));
    const pkcs11Config = join(stateDir, 'pkcs11.json');
    await writePkcs11Config(pkcs11Config, {
      endpoints: plans.map((plan) => `https://127.0.0.1:${plan.port}#${plan.zone}`),
      ...clientTls,
    });
    await writePids();
    return {
      stateDir,
      etcd: {
        members: started.members,
        clientUrls: started.endpoints.map((endpoint) => `http://${endpoint}`),
        leader: () => started.leader(),
        kill: async (member) => {
          await started.kill(member);
          await writePids();
        },
        stop: async (member) => {
          await started.stopMember(member);
          await writePids();
        },
        start: async (member) => {
          await started.restart(member);
          await writePids();
        },
      },
      nodes,
      admin: { ...admin, pinFile },
      clientTls,
      clientConfig,
      pkcs11Config,
      endpoints,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What an operator reads once the cluster is up. */
export function describeLocalCluster(cluster: LocalCluster): string {
  return [
    `Coffer local cluster in ${cluster.stateDir}`,
    '',
    'etcd members:',
    ...cluster.etcd.members.map((member, i) => `  ${member.name}  ${cluster.etcd.clientUrls[i]}  pid ${member.pid}`),
    'Coffer nodes:',
    ...cluster.nodes.map((node) => `  ${node.name}  ${node.url}  ${node.zone}  pid ${node.pid}  log ${node.logFile}`),
    '',
    `admin PIN (admin:<password>): ${cluster.admin.pinFile}`,
    `client certificate: ${cluster.clientTls.certFile}`,
    `client key:         ${cluster.clientTls.keyFile}`,
    `cluster CA:         ${cluster.clientTls.caFile}`,
    '',
    'CLI and SDK (every node, with its zone):',
    `  export COFFER_CONFIG=${cluster.clientConfig}`,
    `  export COFFER_PIN="$(cat ${cluster.admin.pinFile})"`,
    '  node dist/src/cli/main.js cluster list-nodes',
    `  SDK: new CofferClient({ endpoints: ${JSON.stringify(cluster.endpoints)}, ca, cert, key })`,
    'PKCS#11 module:',
    `  export COFFER_PKCS11_CONF=${cluster.pkcs11Config}`,
    "  (module: pkcs11/build/libcoffer-pkcs11.so, PIN admin:<password> or a crypto user's)",
  ].join('\n');
}
