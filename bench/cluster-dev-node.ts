/**
 * The single-node baseline: `coffer up` as a child process on a fresh data dir (the embedded
 * SQLite store, dev mode: initialized, unsealed and activated by itself), for the key-creation
 * figures the etcd cluster is compared with.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../src/cluster/data-dir.js';
import { freePort } from '../test/support/free-port.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const START_TIMEOUT_MS = 60_000;

export interface DevNode {
  readonly url: string;
  readonly pid: number;
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  readonly adminPassword: string;
  stop(): Promise<void>;
}

export async function startDevNode(): Promise<DevNode> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-bench-dev-'));
  const dir = dataDir(join(root, 'data'));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dir.root, '--port', String(port)], {
    env: { ...process.env, COFFER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`coffer up did not start: ${output.slice(-2000)}`)),
        START_TIMEOUT_MS,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Next, in another terminal')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`coffer up exited with ${code}: ${output.slice(-2000)}`));
      });
    });
    // Past start, its output is drained and dropped: a full pipe would stall the node.
    child.stdout!.removeAllListeners('data').resume();
    child.stderr!.removeAllListeners('data').resume();
    const pin = (await readFile(join(dir.devDir, 'admin.pin'), 'utf8')).trim();
    return {
      url: `https://127.0.0.1:${port}`,
      pid: child.pid!,
      tls: {
        ca: await readFile(dir.caCert),
        cert: await readFile(dir.devClientCert),
        key: await readFile(dir.devClientKey),
      },
      adminPassword: pin.slice(pin.indexOf(':') + 1),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
