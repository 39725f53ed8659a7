/**
 * Which state store a node opens: the embedded SQLite file in its data dir (the default), or
 * an etcd cluster named as `etcd://host:port[,host:port…]` (plaintext, loopback only) or
 * `etcds://…` (TLS with a CA, and a client certificate and key for --client-cert-auth).
 * cluster.json records the choice made at `cluster init`; nothing in it is secret (the key is
 * a path, and the file it names must be the owner's alone).
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CofferError } from '../errors/coffer-error.js';
import { checkEndpoints } from './etcd/etcd-client.js';
import { openEtcdStore } from './etcd/etcd-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { StateStore } from './state-store.js';

export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export type StoreConfig =
  | { readonly kind: 'sqlite' }
  | { readonly kind: 'etcd'; readonly endpoints: readonly string[]; readonly tls?: EtcdTlsFiles };

export const SQLITE_STORE: StoreConfig = { kind: 'sqlite' };

const URL_FORM = /^(etcds?):\/\/([^/?#]+)$/;

/**
 * `sqlite`, `etcd://h:p,h:p` or `etcds://h:p,h:p`; the TLS files only with etcds://, where the
 * CA is required. Relative file paths are resolved now: a node may start from another directory.
 */
export function parseStoreUrl(url: string, files: Partial<EtcdTlsFiles> = {}): StoreConfig {
  const given = Object.values(files).some((file) => file !== undefined);
  if (url === 'sqlite') {
    if (given) throw new CofferError('INVALID_FIELD', 'the etcd TLS files go with an etcds:// store');
    return SQLITE_STORE;
  }
  const match = URL_FORM.exec(url);
  if (match === null) {
    throw new CofferError('INVALID_FIELD', 'the store is sqlite, etcd://host:port[,host:port] or etcds://…');
  }
  const endpoints = (match[2] ?? '').split(',');
  if (match[1] === 'etcd') {
    if (given) throw new CofferError('INVALID_FIELD', 'the etcd TLS files need an etcds:// store');
    // Checked now, so `cluster init` refuses a bad endpoint before it makes anything.
    checkEndpoints(endpoints, false);
    return { kind: 'etcd', endpoints };
  }
  if (files.caFile === undefined) throw new CofferError('MISSING_FIELD', 'an etcds:// store needs the etcd CA file');
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new CofferError('INVALID_FIELD', 'an etcd client certificate needs its key, and a key its certificate');
  }
  const tls: EtcdTlsFiles = {
    caFile: resolve(files.caFile),
    ...(files.certFile === undefined ? {} : { certFile: resolve(files.certFile) }),
    ...(files.keyFile === undefined ? {} : { keyFile: resolve(files.keyFile) }),
  };
  checkEndpoints(endpoints, true);
  return { kind: 'etcd', endpoints, tls };
}

/** How a store is named in status output and logs: the endpoints, never a file's content. */
export function describeStore(config: StoreConfig): string {
  if (config.kind === 'sqlite') return 'sqlite';
  return `${config.tls ? 'etcds' : 'etcd'}://${config.endpoints.join(',')}`;
}

async function readPrivateKey(path: string): Promise<Buffer> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new CofferError('DATA_DIR_INSECURE', `${path} has mode ${(info.mode & 0o777).toString(8)}; run chmod 600`);
  }
  return readFile(path);
}

/** Opens the configured store; `sqlitePath` is the data dir's store file. */
export async function openStore(config: StoreConfig, sqlitePath: string): Promise<StateStore> {
  if (config.kind === 'sqlite') return openSqliteStore(sqlitePath);
  if (config.tls === undefined) return openEtcdStore({ endpoints: config.endpoints });
  const { caFile, certFile, keyFile } = config.tls;
  const tls = {
    ca: await readFile(caFile),
    ...(certFile === undefined ? {} : { cert: await readFile(certFile) }),
    ...(keyFile === undefined ? {} : { key: await readPrivateKey(keyFile) }),
  };
  try {
    return await openEtcdStore({ endpoints: config.endpoints, tls });
  } finally {
    tls.key?.fill(0);
  }
}
