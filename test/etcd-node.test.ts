/**
 * A node on the etcd store, through the real CLI: `coffer cluster init --store etcd://…` makes
 * the security world in etcd (no SQLite file), `coffer node start` finds the store in
 * cluster.json, and what the API writes lives in etcd across a restart. A second init against
 * the same etcd is refused: one etcd holds one security world.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readClusterFile } from '../src/cluster/cluster-file.js';
import { dataDir, type DataDir } from '../src/cluster/data-dir.js';
import { openEtcdStore } from '../src/store/etcd/etcd-store.js';
import { Api } from './support/api.js';
import { type EtcdCluster, startEtcd } from './support/etcd-process.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

function coffer(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: result.status, output: result.stdout + result.stderr };
}

interface Node {
  readonly process: ChildProcess;
  readonly url: string;
}

/** `coffer node start` as a child process, until its log says which port it serves. */
async function startNode(dir: DataDir): Promise<Node> {
  const child = spawn(process.execPath, [CLI, 'node', 'start', '--data-dir', dir.root, '--port', '0'], {
    env: { ...process.env, COFFER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"port":(\d+).*"msg":"node started"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the node exited with ${code}:\n${output}`)));
  });
  return { process: child, url: `https://127.0.0.1:${port}` };
}

async function stopNode(node: Node | undefined): Promise<number | null> {
  if (node === undefined || node.process.exitCode !== null) return node?.process.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => node.process.once('exit', (code) => resolve(code)));
  node.process.kill('SIGTERM');
  return exited;
}

describe('a node on the etcd store, through the CLI', { timeout: 90_000 }, () => {
  let cluster: EtcdCluster;
  let root: string;
  let stopEtcd = async (): Promise<void> => undefined;
  let node: Node | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-etcd-node-'));
    cluster = await startEtcd({ inMemory: true }, (stop) => {
      stopEtcd = stop;
    });
  });

  after(async () => {
    await stopNode(node);
    await stopEtcd();
    await rm(root, { recursive: true, force: true });
  });

  it('initializes in etcd, starts from cluster.json, and keeps what the API wrote across a restart', async () => {
    const dir = dataDir(join(root, 'one'));
    const url = `etcd://${cluster.endpoints.join(',')}`;
    const init = coffer('cluster', 'init', '--dev', '--data-dir', dir.root, '--store', url, '--json');
    assert.equal(init.code, 0, init.output);
    assert.deepEqual((await readClusterFile(dir.clusterFile)).store, { kind: 'etcd', endpoints: cluster.endpoints });
    assert.equal(existsSync(dir.store), false, 'no SQLite file: the state is in etcd');

    const store = await openEtcdStore({ endpoints: cluster.endpoints });
    try {
      assert.ok(await store.get('sys/keyring'), 'the keyring is in etcd');
      assert.ok((await store.range('audit/event/', { keysOnly: true })).entries.length > 0, 'and the audit chain');
    } finally {
      await store.close();
    }

    node = await startNode(dir);
    const api = new Api(node.url, { ca: await readFile(dir.caCert) });
    try {
      const status = await api.call('GET', '/v1/cluster/status');
      assert.equal(status.body.sealed, false, 'dev mode unsealed itself from the keyring in etcd');
      const password = 'etcd-admin-password-1';
      assert.equal((await api.call('POST', '/v1/cluster/activate', { body: { password } })).status, 200);
      assert.equal(await stopNode(node), 0, 'the node stops cleanly, its etcd connection closed');

      node = await startNode(dir);
      const again = new Api(node.url, { ca: await readFile(dir.caCert) });
      try {
        assert.ok(await again.login('admin', password), 'the activation was kept in etcd');
      } finally {
        await again.close();
      }
    } finally {
      await api.close();
    }
  });

  it('refuses a second security world in the same etcd, and a bad store before making anything', async () => {
    const url = `etcd://${cluster.endpoints.join(',')}`;
    const second = coffer('cluster', 'init', '--dev', '--data-dir', join(root, 'two'), '--store', url, '--json');
    assert.notEqual(second.code, 0);
    assert.match(second.output, /ALREADY_INITIALIZED/);
    assert.equal(existsSync(join(root, 'two')), false, 'refused before making anything');

    // The CLI checks the store before it makes anything (the rules: src/store/store-config.test.ts).
    const bad = coffer(
      'cluster',
      'init',
      '--dev',
      '--data-dir',
      join(root, 'three'),
      '--store',
      'etcd://10.1.2.3:2379',
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /INVALID_FIELD.*loopback/);
    assert.equal(existsSync(join(root, 'three')), false, 'nothing made');
  });
});
