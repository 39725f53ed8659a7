import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readClusterFile } from '../src/cluster/cluster-file.js';
import { dataDir } from '../src/cluster/data-dir.js';
import { devUp } from '../src/cluster/dev-up.js';
import { initCluster } from '../src/cluster/init.js';
import { startNode } from '../src/cluster/node.js';
import { ALL_SELF_TESTS } from '../src/crypto/self-test/run.js';
import { isCofferError } from '../src/errors/coffer-error.js';
import { createLogger } from '../src/util/logger.js';
import { Api, codeOf } from './support/api.js';

const logger = createLogger({ level: 'silent' });

describe('what a node refuses at start', () => {
  let root: string;
  const production = (): ReturnType<typeof dataDir> => dataDir(join(root, 'prod'));
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-startup-'));
    await initCluster({
      dataDir: production().root,
      mode: 'production',
      seal: { shares: 3, threshold: 2 },
      outDir: join(root, 'shares'),
    });
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('dev mode cannot be switched on for a production cluster', async () => {
    await assert.rejects(devUp({ dataDir: production().root, port: 0, logger }), (error) =>
      isCofferError(error, 'DEV_MODE_REFUSED'),
    );
  });

  test('editing cluster.json to say dev is caught at unseal: the keyring says production', async () => {
    const dir = production();
    const original = await readFile(dir.clusterFile, 'utf8');
    await writeFile(dir.clusterFile, JSON.stringify({ ...(await readClusterFile(dir.clusterFile)), mode: 'dev' }));
    const node = await startNode({ dataDir: dir.root, port: 0, logger });
    const api = new Api(node.url, { ca: await readFile(dir.caCert) });
    try {
      assert.equal(node.cluster.sealed, true, 'no dev share, so it stays sealed');
      let last;
      for (const index of [1, 2]) {
        const share = (await readFile(join(root, 'shares', `unseal-share-${index}.txt`), 'utf8')).trim();
        last = await api.call('POST', '/v1/cluster/unseal', { body: { share } });
      }
      assert.equal(codeOf(last!), 'INTEGRITY_ERROR');
      assert.equal(node.cluster.sealed, true);
    } finally {
      await api.close();
      await node.close();
      await writeFile(dir.clusterFile, original);
    }
  });

  test('a data directory others can read is refused', async () => {
    await chmod(production().root, 0o755);
    try {
      await assert.rejects(startNode({ dataDir: production().root, port: 0, logger }), (error) =>
        isCofferError(error, 'DATA_DIR_INSECURE'),
      );
    } finally {
      await chmod(production().root, 0o700);
    }
  });

  test('a failing self-test stops the node and names the test; nothing listens', async () => {
    const broken = {
      name: 'AES-256-GCM encrypt KAT (corrupted for this test)',
      run: async () => Promise.reject(new Error('mismatch')),
    };
    const tests = [...ALL_SELF_TESTS.slice(0, 2), broken, ...ALL_SELF_TESTS.slice(2)];
    await assert.rejects(startNode({ dataDir: production().root, port: 0, logger, selfTests: tests }), (error) => {
      assert.ok(isCofferError(error, 'SELF_TEST_FAILED'));
      assert.equal(error.detail, broken.name);
      return true;
    });
  });

  test('an uninitialized data directory is refused with NOT_INITIALIZED', async () => {
    const empty = await mkdtemp(join(root, 'empty-'));
    await chmod(empty, 0o700);
    await assert.rejects(startNode({ dataDir: empty, port: 0, logger }), (error) =>
      isCofferError(error, 'NOT_INITIALIZED'),
    );
  });

  test('init refuses a data directory that already holds a cluster, and production shares inside it', async () => {
    await assert.rejects(
      initCluster({
        dataDir: production().root,
        mode: 'production',
        seal: { shares: 3, threshold: 2 },
        outDir: join(root, 'again'),
      }),
      (error) => isCofferError(error, 'ALREADY_INITIALIZED'),
    );
    const inside = join(root, 'inside');
    await assert.rejects(
      initCluster({
        dataDir: inside,
        mode: 'production',
        seal: { shares: 3, threshold: 2 },
        outDir: join(inside, 'shares'),
      }),
      (error) => isCofferError(error, 'INVALID_FIELD'),
    );
  });
});
