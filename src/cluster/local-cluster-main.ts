/**
 * `make cluster` / `make cluster-down`:
 *   node dist/src/cluster/local-cluster-main.js up [--state-dir D] [--background]
 *   node dist/src/cluster/local-cluster-main.js down [--state-dir D]
 * `up` runs a fresh local cluster (src/cluster/local-cluster.ts) in the foreground until
 * Ctrl-C / SIGTERM, then stops everything it started; with --background it runs detached and
 * returns once the cluster is ready. `down` stops a running one from the pids in its state dir.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeLocalCluster, PIDS_FILE, startLocalCluster, type LocalClusterPids } from './local-cluster.js';

const MARKER = '.coffer-local-cluster';
const READY = 'ready.txt';
const DOWN_TIMEOUT_MS = 20_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Only a process that is one of ours: etcd or a node (a pid may have been reused since). */
function ours(pid: number): boolean {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /etcd|coffer|local-cluster|cli\/main\.js/.test(command);
  } catch {
    return false;
  }
}

async function readPids(stateDir: string): Promise<LocalClusterPids | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, PIDS_FILE), 'utf8')) as LocalClusterPids;
  } catch {
    return undefined;
  }
}

async function down(stateDir: string): Promise<void> {
  const pids = await readPids(stateDir);
  if (pids === undefined) {
    console.log(`no local cluster in ${stateDir}`);
    return;
  }
  if (alive(pids.launcher) && ours(pids.launcher)) process.kill(pids.launcher, 'SIGTERM');
  const deadline = Date.now() + DOWN_TIMEOUT_MS;
  while (alive(pids.launcher) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  // Whatever the launcher did not stop (it was killed, or hung): a crash stop.
  for (const pid of [pids.launcher, ...pids.children]) if (alive(pid) && ours(pid)) process.kill(pid, 'SIGKILL');
  await rm(join(stateDir, PIDS_FILE), { force: true });
  console.log(`local cluster in ${stateDir} stopped`);
}

/** A previous local cluster's state dir is replaced; anything else there is refused. */
async function freshStateDir(stateDir: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  const pids = await readPids(stateDir);
  if (pids !== undefined && alive(pids.launcher) && ours(pids.launcher))
    throw new Error(`a local cluster runs in ${stateDir} (pid ${pids.launcher}): make cluster-down first`);
  if (!existsSync(join(stateDir, MARKER))) throw new Error(`${stateDir} exists and is not a local cluster's`);
  await rm(stateDir, { recursive: true, force: true });
}

/** Makes the state dir with its marker: a failed start still leaves a dir the next `up` may replace. */
async function makeStateDir(stateDir: string): Promise<void> {
  await freshStateDir(stateDir);
  await mkdir(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, MARKER), '');
}

/** In the foreground; `inPlace`: the state dir was made by `background`. */
async function up(stateDir: string, inPlace: boolean): Promise<void> {
  if (!inPlace) await makeStateDir(stateDir);
  const cluster = await startLocalCluster({ stateDir });
  const text = describeLocalCluster(cluster);
  await writeFile(join(stateDir, READY), text + '\n', { mode: 0o600 });
  console.log(text + '\n\nCtrl-C stops the cluster.');
  let stopping = false;
  const finish = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the local cluster…');
    await cluster.stop();
    await rm(join(stateDir, PIDS_FILE), { force: true });
    await rm(join(stateDir, READY), { force: true });
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void finish());
}

/** Starts `up` detached (its own process group, output to logs/launcher.log) and waits for ready.txt. */
async function background(stateDir: string): Promise<void> {
  await makeStateDir(stateDir);
  const log = openSync(join(stateDir, 'logs', 'launcher.log'), 'a', 0o600);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, 'up', '--state-dir', stateDir, '--in-place'], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const deadline = Date.now() + 180_000;
  while (!existsSync(join(stateDir, READY))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the local cluster did not start: see ${join(stateDir, 'logs', 'launcher.log')}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  console.log(readFileSync(join(stateDir, READY), 'utf8') + `\nrunning in the background: make cluster-down stops it`);
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const at = rest.indexOf('--state-dir');
  const stateDir = resolve(at >= 0 && rest[at + 1] ? rest[at + 1]! : '.coffer-cluster');
  if (command === 'down') return down(stateDir);
  if (command === 'up' && rest.includes('--background')) return background(stateDir);
  if (command === 'up') return up(stateDir, rest.includes('--in-place'));
  throw new Error('usage: local-cluster-main.js up [--state-dir D] [--background] | down [--state-dir D]');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
