import type { Command } from 'commander';
import { parseStoreUrl, type StoreConfig } from '../store/store-config.js';

/** The flags that name a state store, shared by `cluster init` and `node start`. */
export interface StoreFlags {
  store?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
}

export function addStoreOptions(command: Command, defaultStore: string | undefined): Command {
  return command
    .option(
      '--store <url>',
      'state store: sqlite (in the data dir), etcd://host:port[,host:port] (loopback only) or etcds://… (TLS)',
      defaultStore,
    )
    .option('--etcd-ca <file>', 'with etcds://: the CA of the etcd members', process.env.COFFER_ETCD_CA)
    .option(
      '--etcd-cert <file>',
      'with etcds://: this node’s client certificate for etcd',
      process.env.COFFER_ETCD_CERT,
    )
    .option('--etcd-key <file>', 'with etcds://: its key (a file only you can read)', process.env.COFFER_ETCD_KEY);
}

/** The store the flags name, or undefined when none was given. */
export function storeFromFlags(flags: StoreFlags): StoreConfig | undefined {
  if (flags.store === undefined) return undefined;
  return parseStoreUrl(flags.store, {
    ...(flags.etcdCa === undefined ? {} : { caFile: flags.etcdCa }),
    ...(flags.etcdCert === undefined ? {} : { certFile: flags.etcdCert }),
    ...(flags.etcdKey === undefined ? {} : { keyFile: flags.etcdKey }),
  });
}
