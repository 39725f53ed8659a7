import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Barrier, KEYRING_PATH } from '../barrier/barrier.js';
import type { ClusterMode } from '../barrier/keyring.js';
import { checkSealConfig, encodeShare, splitRootKey, type SealConfig } from '../barrier/unseal-shares.js';
import { CofferError } from '../errors/coffer-error.js';
import { FIRST_ADMIN, encodeUser, userPath } from '../identity/user-record.js';
import {
  checkExternalNodeCertificate,
  createClusterCa,
  createKeyAndCsr,
  describeCertificate,
  issueCertificate,
  privateKeyPem,
} from '../pki/index.js';
import { AUDIT_KEY_PATH, generateAuditKey } from '../audit/audit-key.js';
import { RecordWriter } from '../records/record-writer.js';
import { openStore, SQLITE_STORE, type StoreConfig } from '../store/store-config.js';
import { checkPrivateDirectory, exists, writePrivateFile, writePublicFile } from '../util/files.js';
import { caRecordChange } from './ca-record.js';
import { admittedChange } from './membership/admitted-nodes.js';
import { readClusterFile, writeClusterFile, type ClusterFile } from './cluster-file.js';
import { dataDir, type DataDir } from './data-dir.js';

export interface InitOptions {
  readonly dataDir: string;
  readonly mode: ClusterMode;
  readonly seal: SealConfig;
  /** Where the unseal shares and the bootstrap client certificate are written (outside the data dir). */
  readonly outDir: string;
  /** Extra names and addresses for the node certificate (localhost and loopback are always in). */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Emit a CSR for the customer's CA instead of making a cluster CA (CloudHSM's flow). */
  readonly externalCa?: boolean;
  /** Where the sealed state goes: the SQLite file in the data dir unless an etcd cluster is named. */
  readonly store?: StoreConfig;
}

export interface InitResult {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly shareFiles: readonly string[];
  /** Present when Coffer's CA issued a bootstrap client certificate. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** Present in external-CA mode: sign this and run `cluster init --install-certificate`. */
  readonly csrFile?: string;
}

/**
 * `cluster init`: makes a new security world in an empty data directory — the root key (split
 * into unseal shares and then forgotten), the keyring, the first (unactivated) admin, the TLS
 * identity of the node and, unless an external CA is used, the cluster CA, sealed in the store.
 */
export async function initCluster(options: InitOptions): Promise<InitResult> {
  checkSealConfig(options.seal);
  const dir = dataDir(resolve(options.dataDir));
  if (await exists(dir.clusterFile)) throw new CofferError('ALREADY_INITIALIZED', dir.root);
  if (options.store?.kind === 'etcd') await refuseInitializedEtcd(options.store, dir);
  await mkdir(dir.root, { recursive: true, mode: 0o700 });
  await checkPrivateDirectory(dir.root);
  const outDir = resolve(options.outDir);
  if (options.mode === 'production' && (outDir + '/').startsWith(dir.root + '/')) {
    throw new CofferError(
      'INVALID_FIELD',
      'in production the unseal shares must be written outside the data directory',
    );
  }

  const now = new Date();
  const file: ClusterFile = {
    formatVersion: 1,
    clusterId: randomUUID(),
    nodeId: `node-${randomBytes(4).toString('hex')}`,
    mode: options.mode,
    seal: options.seal,
    ca: options.externalCa ? 'external' : 'cluster',
    certificateInstalled: !options.externalCa,
    createdAt: now.toISOString(),
    ...(options.store && options.store.kind !== 'sqlite' ? { store: options.store } : {}),
  };
  const rootKey = randomBytes(32);
  try {
    const tls = await makeTlsIdentity(dir, file, options, outDir);
    await writeSealedState(dir, file, rootKey, now, tls.ca, tls.nodeSerial);
    const shareFiles = await writeShares(rootKey, options.seal, outDir, options.mode);
    await writeClusterFile(dir.clusterFile, file);
    return { clusterId: file.clusterId, nodeId: file.nodeId, shareFiles, ...tls.result };
  } finally {
    rootKey.fill(0);
  }
}

/** An etcd cluster that holds a keyring is another security world: refused before anything is made. */
async function refuseInitializedEtcd(config: StoreConfig, dir: DataDir): Promise<void> {
  const store = await openStore(config, dir.store);
  try {
    if (await store.get(KEYRING_PATH)) throw new CofferError('ALREADY_INITIALIZED', 'the etcd store holds a keyring');
  } finally {
    await store.close();
  }
}

/** Installs the customer-CA-signed node certificate and trust anchor after an external-CA init. */
export async function installNodeCertificate(
  root: string,
  certificatePath: string,
  trustAnchorPath: string,
): Promise<void> {
  const dir = dataDir(resolve(root));
  const file = await readClusterFile(dir.clusterFile);
  if (file.ca !== 'external' || file.certificateInstalled)
    throw new CofferError('ALREADY_INITIALIZED', 'the node certificate is installed');
  const certificatePem = await readFile(certificatePath, 'utf8');
  const trustAnchorPem = await readFile(trustAnchorPath, 'utf8');
  const privateKey = createPrivateKey(await readFile(dir.nodeKey));
  await checkExternalNodeCertificate({ certificatePem, trustAnchorPem, privateKey });
  await writePublicFile(dir.nodeCert, certificatePem);
  await writePublicFile(dir.caCert, trustAnchorPem);
  await writeClusterFile(dir.clusterFile, { ...file, certificateInstalled: true });
}

async function makeTlsIdentity(dir: DataDir, file: ClusterFile, options: InitOptions, outDir: string) {
  const dnsNames = ['localhost', hostname(), ...(options.dnsNames ?? [])];
  const ipAddresses = ['127.0.0.1', '::1', ...(options.ipAddresses ?? [])];
  const node = await createKeyAndCsr({ commonName: file.nodeId, dnsNames, ipAddresses });
  await writePrivateFile(dir.nodeKey, privateKeyPem(node.privateKey));
  if (options.externalCa) {
    await writePublicFile(dir.nodeCsr, node.csrPem);
    return { ca: undefined, nodeSerial: undefined, result: { csrFile: dir.nodeCsr } };
  }
  const ca = await createClusterCa({ clusterId: file.clusterId });
  await writePublicFile(dir.caCert, ca.certificatePem);
  const nodeCertificate = await issueCertificate(ca, node.csrPem, {
    profile: 'node',
    node: { clusterId: file.clusterId, nodeId: file.nodeId },
    dnsNames,
    ipAddresses,
  });
  await writePublicFile(dir.nodeCert, nodeCertificate);
  const client = await createKeyAndCsr({ commonName: 'bootstrap' });
  const clientDir = options.mode === 'dev' ? dir.devDir : outDir;
  const clientCert = join(clientDir, 'client.crt');
  const clientKey = join(clientDir, 'client.key');
  await writePublicFile(
    clientCert,
    await issueCertificate(ca, client.csrPem, { profile: 'client', commonName: 'bootstrap' }),
  );
  await writePrivateFile(clientKey, privateKeyPem(client.privateKey));
  return { ca, nodeSerial: describeCertificate(nodeCertificate).serialNumber, result: { clientCert, clientKey } };
}

/** The keyring, the first admin and the CA key, written through the barrier like every record. */
async function writeSealedState(
  dir: DataDir,
  file: ClusterFile,
  rootKey: Buffer,
  now: Date,
  ca: Awaited<ReturnType<typeof createClusterCa>> | undefined,
  nodeSerial: string | undefined,
): Promise<void> {
  // The compare below refuses a store that holds a keyring, even one written since the check at start.
  const store = await openStore(file.store ?? SQLITE_STORE, dir.store);
  try {
    const keyring = Barrier.initialKeyring(rootKey, { clusterId: file.clusterId, mode: file.mode }, now);
    const created = await store.txn([{ key: keyring.key, modRevision: 0 }], [keyring]);
    if (!created.succeeded) throw new CofferError('ALREADY_INITIALIZED', 'the store already holds a keyring');
    const barrier = new Barrier(store);
    await barrier.unseal(rootKey);
    const admin = {
      username: FIRST_ADMIN,
      role: 'unactivated-admin' as const,
      failedLogins: 0,
      locked: false,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    // The cluster's audit key (Ed25519), which signs checkpoints of the audit chain.
    const auditKey = generateAuditKey();
    await new RecordWriter(store, barrier, file.nodeId).commit({
      compares: [
        { key: userPath(FIRST_ADMIN), modRevision: 0 },
        { key: AUDIT_KEY_PATH, modRevision: 0 },
      ],
      changes: [
        { type: 'put', path: userPath(FIRST_ADMIN), kind: 'user', plaintext: encodeUser(admin) },
        ...(ca ? [caRecordChange(ca)] : []),
        // The first node of the register of admitted nodes (peer unseal hands the root key only to those).
        ...(nodeSerial
          ? [
              admittedChange({
                nodeId: file.nodeId,
                serialNumber: nodeSerial,
                addedAt: now.toISOString(),
                addedBy: 'system',
              }),
            ]
          : []),
        auditKey.change,
      ],
      event: {
        actor: 'system',
        action: 'cluster.init',
        target: 'cluster',
        result: 'success',
        details: {
          clusterId: file.clusterId,
          mode: file.mode,
          shares: file.seal.shares,
          threshold: file.seal.threshold,
          ca: file.ca,
          auditKeyId: auditKey.key.keyId,
        },
      },
    });
    barrier.seal();
  } finally {
    await store.close();
  }
}

async function writeShares(rootKey: Buffer, seal: SealConfig, outDir: string, mode: ClusterMode): Promise<string[]> {
  const shares = await splitRootKey(rootKey, seal);
  try {
    const files: string[] = [];
    for (const [index, share] of shares.entries()) {
      const path =
        mode === 'dev' && seal.shares === 1
          ? join(outDir, 'unseal-share')
          : join(outDir, `unseal-share-${index + 1}.txt`);
      await writePrivateFile(path, encodeShare(share) + '\n');
      files.push(path);
    }
    return files;
  } finally {
    for (const share of shares) share.fill(0);
  }
}
