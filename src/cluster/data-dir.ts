import { join } from 'node:path';

/**
 * The layout of a node's data directory (mode 0700). Only public material and the sealed store
 * live here — except, in dev mode, the 1-of-1 unseal share and the dev credentials, which is
 * why dev mode says so at every start.
 */
export interface DataDir {
  readonly root: string;
  /** Public facts about the cluster and this node (cluster-file.ts). */
  readonly clusterFile: string;
  /** The SQLite store: sealed records only. */
  readonly store: string;
  /** The trust anchor: the cluster CA's certificate, or the external CA's. */
  readonly caCert: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly nodeCsr: string;
  /** Dev mode only. */
  readonly devDir: string;
  readonly devShare: string;
  readonly devCredentials: string;
  readonly devClientCert: string;
  readonly devClientKey: string;
  /** The CLI's connection settings for this node (endpoint and file paths). */
  readonly clientConfig: string;
  /** The PKCS#11 module's configuration for this node (COFFER_PKCS11_CONF). */
  readonly pkcs11Config: string;
}

export const DEFAULT_DATA_DIR = '.coffer';

export function dataDir(root: string): DataDir {
  return {
    root,
    clusterFile: join(root, 'cluster.json'),
    store: join(root, 'store.db'),
    caCert: join(root, 'tls', 'ca.crt'),
    nodeCert: join(root, 'tls', 'node.crt'),
    nodeKey: join(root, 'tls', 'node.key'),
    nodeCsr: join(root, 'tls', 'node.csr'),
    devDir: join(root, 'dev'),
    devShare: join(root, 'dev', 'unseal-share'),
    devCredentials: join(root, 'dev', 'credentials.json'),
    devClientCert: join(root, 'dev', 'client.crt'),
    devClientKey: join(root, 'dev', 'client.key'),
    clientConfig: join(root, 'client.json'),
    pkcs11Config: join(root, 'pkcs11.json'),
  };
}
