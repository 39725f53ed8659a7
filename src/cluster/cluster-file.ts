import { readFile } from 'node:fs/promises';
import type { ClusterMode } from '../barrier/keyring.js';
import type { SealConfig } from '../barrier/unseal-shares.js';
import { CofferError } from '../errors/coffer-error.js';
import type { StoreConfig } from '../store/store-config.js';
import { writePrivateFile } from '../util/files.js';

/**
 * cluster.json: what a node must know before it is unsealed. None of it is secret, and none
 * of it is trusted alone: after unseal the node checks the cluster id and mode against the
 * sealed keyring, so editing this file cannot switch a production cluster to dev mode.
 */
export interface ClusterFile {
  readonly formatVersion: 1;
  readonly clusterId: string;
  readonly nodeId: string;
  readonly mode: ClusterMode;
  readonly seal: SealConfig;
  /** 'cluster' when Coffer's own CA signs certificates; 'external' for a customer CA. */
  readonly ca: 'cluster' | 'external';
  /** False while an external-CA init waits for the signed node certificate. */
  readonly certificateInstalled: boolean;
  readonly createdAt: string;
  /** The state store the cluster was made in; absent: the SQLite file in the data dir. */
  readonly store?: StoreConfig;
  /** The zone an admin gave the node at `cluster add-node` (`node start --zone` overrides it). */
  readonly zone?: string;
}

export async function readClusterFile(path: string): Promise<ClusterFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CofferError('NOT_INITIALIZED', `no ${path}: run coffer cluster init`);
  }
  return JSON.parse(text) as ClusterFile;
}

export function writeClusterFile(path: string, file: ClusterFile): Promise<void> {
  return writePrivateFile(path, JSON.stringify(file, null, 2) + '\n');
}
