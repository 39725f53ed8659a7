import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { exists, writePrivateFile } from '../util/files.js';
import { dataDir } from './data-dir.js';
import { initCluster } from './init.js';
import { writePkcs11Config } from './pkcs11-config.js';
import { startNode, type RunningNode } from './node.js';

export interface DevUpResult {
  readonly node: RunningNode;
  /** True when this run initialized the cluster. */
  readonly initialized: boolean;
  /** `admin:<password>`, ready for COFFER_PIN. */
  readonly adminPinFile: string;
}

/**
 * `coffer up`: one dev node on the embedded store, ready to use. The first run initializes a
 * dev cluster (1-of-1 unseal share in the data dir), activates the first admin with a random
 * password written to dev/admin.pin, and writes client.json for the CLI. Later runs reuse the
 * data dir and only start the node.
 */
export async function devUp(options: {
  dataDir: string;
  host?: string;
  port?: number;
  logger?: Logger;
}): Promise<DevUpResult> {
  const dir = dataDir(resolve(options.dataDir));
  const adminPinFile = resolve(dir.devDir, 'admin.pin');
  const initialized = !(await exists(dir.clusterFile));
  if (initialized)
    await initCluster({ dataDir: dir.root, mode: 'dev', seal: { shares: 1, threshold: 1 }, outDir: dir.devDir });
  const node = await startNode({ ...options, dataDir: dir.root, requireDev: true });
  try {
    if ((await node.cluster.status()).activated === false) {
      const password = Buffer.from(randomBytes(18).toString('base64url'), 'utf8');
      try {
        await node.users.activate(password);
        await writePrivateFile(adminPinFile, Buffer.concat([Buffer.from('admin:'), password, Buffer.from('\n')]));
      } finally {
        password.fill(0);
      }
    }
    const fromDataDir = (path: string): string => relative(dir.root, path);
    const clientConfig = {
      endpoints: [node.url],
      caFile: fromDataDir(dir.caCert),
      certFile: fromDataDir(dir.devClientCert),
      keyFile: fromDataDir(dir.devClientKey),
    };
    await writePrivateFile(dir.clientConfig, JSON.stringify(clientConfig, null, 2) + '\n');
    // The same connection for libcoffer-pkcs11.so; its relative paths are relative to the file.
    await writePkcs11Config(dir.pkcs11Config, clientConfig);
  } catch (error) {
    await node.close();
    throw error;
  }
  return { node, initialized, adminPinFile };
}
