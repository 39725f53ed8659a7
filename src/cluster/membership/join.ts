/**
 * The new machine's two steps of adding a node:
 *
 *   coffer node prepare --data-dir D     makes D (0700), the node key and a CSR whose CN is a
 *                                        fresh node id; the key never leaves D
 *   (an admin runs `coffer cluster add-node --csr D/tls/node.csr` against a running node)
 *   coffer node join --data-dir D --bundle B
 *                                        checks the bundle's certificate is a node certificate
 *                                        of the bundle's cluster for this very key, then writes
 *                                        cluster.json, tls/node.crt and tls/ca.crt
 *
 * The node then starts sealed and unseals from a peer.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CofferError } from '../../errors/coffer-error.js';
import { checkNodeCertificate, createKeyAndCsr, NODE_ID, privateKeyPem } from '../../pki/index.js';
import { checkPrivateDirectory, exists, writePrivateFile, writePublicFile } from '../../util/files.js';
import { writeClusterFile, type ClusterFile } from '../cluster-file.js';
import { dataDir } from '../data-dir.js';
import type { JoinBundle } from './node-admission.js';

export async function prepareNode(options: {
  dataDir: string;
  nodeId?: string;
}): Promise<{ nodeId: string; csrFile: string }> {
  const dir = dataDir(resolve(options.dataDir));
  if ((await exists(dir.clusterFile)) || (await exists(dir.nodeKey)))
    throw new CofferError('ALREADY_INITIALIZED', `${dir.root} already holds a node`);
  const nodeId = options.nodeId ?? `node-${randomBytes(4).toString('hex')}`;
  if (!NODE_ID.test(nodeId)) throw new CofferError('INVALID_FIELD', 'node id: letters, digits, ".", "_" or "-"');
  await mkdir(dir.root, { recursive: true, mode: 0o700 });
  await checkPrivateDirectory(dir.root);
  const { privateKey, csrPem } = await createKeyAndCsr({ commonName: nodeId });
  await writePrivateFile(dir.nodeKey, privateKeyPem(privateKey));
  await writePublicFile(dir.nodeCsr, csrPem);
  return { nodeId, csrFile: dir.nodeCsr };
}

export async function joinNode(options: { dataDir: string; bundle: JoinBundle }): Promise<{ nodeId: string }> {
  const dir = dataDir(resolve(options.dataDir));
  if (await exists(dir.clusterFile)) throw new CofferError('ALREADY_INITIALIZED', dir.root);
  await checkPrivateDirectory(dir.root);
  const { bundle } = options;
  const cluster = checkClusterFile(bundle.cluster);
  const der = certificateDer(bundle.certificate);
  const checked = checkNodeCertificate(der, bundle.caCertificate, cluster.clusterId);
  if (typeof checked === 'string') throw new CofferError('INVALID_FIELD', `the bundle's certificate is ${checked}`);
  if (checked.nodeId !== cluster.nodeId || checked.nodeId !== bundle.nodeId)
    throw new CofferError('INVALID_FIELD', 'the bundle names another node than its certificate');
  const key = createPrivateKey(await readFile(dir.nodeKey));
  if (!new X509Certificate(der).checkPrivateKey(key))
    throw new CofferError('INVALID_FIELD', "the bundle's certificate is not for this data dir's node key");
  await writePublicFile(dir.caCert, bundle.caCertificate);
  await writePublicFile(dir.nodeCert, bundle.certificate);
  await writeClusterFile(dir.clusterFile, cluster);
  return { nodeId: checked.nodeId };
}

function checkClusterFile(value: unknown): ClusterFile {
  const file = value as Partial<ClusterFile> | undefined;
  if (
    typeof file !== 'object' ||
    file === null ||
    file.formatVersion !== 1 ||
    typeof file.clusterId !== 'string' ||
    typeof file.nodeId !== 'string' ||
    (file.mode !== 'production' && file.mode !== 'dev') ||
    file.ca !== 'cluster' ||
    file.certificateInstalled !== true ||
    typeof file.seal?.shares !== 'number' ||
    typeof file.seal.threshold !== 'number' ||
    file.store?.kind !== 'etcd'
  )
    throw new CofferError('INVALID_FIELD', 'the bundle does not hold a cluster.json for a node of an etcd cluster');
  return file as ClusterFile;
}

function certificateDer(pem: unknown): Buffer {
  try {
    return Buffer.from(new X509Certificate(String(pem)).raw);
  } catch {
    throw new CofferError('INVALID_FIELD', "the bundle's certificate is not a PEM certificate");
  }
}
