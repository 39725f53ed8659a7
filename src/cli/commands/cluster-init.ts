import type { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../cluster/data-dir.js';
import { initCluster, installNodeCertificate } from '../../cluster/init.js';
import { addStoreOptions, storeFromFlags, type StoreFlags } from '../store-options.js';

interface InitFlags extends StoreFlags {
  dataDir: string;
  outDir?: string;
  dev?: boolean;
  unseal: string;
  dnsName: string[];
  ipAddress: string[];
  externalCa?: boolean;
  installCertificate?: string;
  trustAnchor?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `coffer cluster init`: a new security world in an empty data directory (offline, local). */
export function registerClusterInitCommand(cluster: Command): void {
  const init = cluster
    .command('init')
    .description('initialize a new cluster in an empty data directory (run on the first node, offline)')
    .option('--data-dir <dir>', 'data directory', process.env.COFFER_DATA_DIR ?? DEFAULT_DATA_DIR)
    .option('--out-dir <dir>', 'where unseal shares and the bootstrap client certificate go (outside the data dir)')
    .option('--unseal <M-of-N>', 'unseal shares: M of N (dev mode: 1-of-1)', '3-of-5')
    .option('--dev', 'dev mode: 1-of-1 share kept in the data dir, client certificates optional')
    .option('--dns-name <name>', 'extra DNS name for the node certificate', collect, [])
    .option('--ip-address <ip>', 'extra IP address for the node certificate', collect, [])
    .option('--external-ca', 'emit a CSR for your own CA instead of making a cluster CA')
    .option('--install-certificate <file>', 'after --external-ca: install the node certificate your CA signed')
    .option('--trust-anchor <file>', 'with --install-certificate: your CA certificate')
    .option('--json', 'print JSON');
  addStoreOptions(init, process.env.COFFER_STORE ?? 'sqlite').action(async (flags: InitFlags) => {
    const print = (data: Record<string, unknown>, text: string): void => {
      process.stdout.write(flags.json ? JSON.stringify({ error_code: 0, data }) + '\n' : text + '\n');
    };
    if (flags.installCertificate) {
      if (!flags.trustAnchor) throw new Error('--install-certificate needs --trust-anchor');
      await installNodeCertificate(flags.dataDir, flags.installCertificate, flags.trustAnchor);
      print({ installed: true }, 'node certificate installed; start the node with: coffer node start');
      return;
    }
    const [threshold, shares] = flags.dev ? [1, 1] : flags.unseal.split('-of-').map(Number);
    const outDir = flags.outDir ?? (flags.dev ? `${flags.dataDir}/dev` : undefined);
    if (!outDir) throw new Error('--out-dir is required outside dev mode: the unseal shares are written there');
    const result = await initCluster({
      dataDir: flags.dataDir,
      mode: flags.dev ? 'dev' : 'production',
      seal: { shares: shares ?? NaN, threshold: threshold ?? NaN },
      outDir,
      dnsNames: flags.dnsName,
      ipAddresses: flags.ipAddress,
      externalCa: flags.externalCa === true,
      store: storeFromFlags(flags) ?? { kind: 'sqlite' },
    });
    print(
      { ...result },
      [
        `initialized cluster ${result.clusterId} (node ${result.nodeId})`,
        `unseal shares (give one to each admin, then delete them here):`,
        ...result.shareFiles.map((file) => `  ${file}`),
        ...(result.clientCert ? [`bootstrap client certificate: ${result.clientCert} and ${result.clientKey}`] : []),
        ...(result.csrFile
          ? [
              `sign ${result.csrFile} with your CA, then: coffer cluster init --install-certificate node.crt --trust-anchor ca.crt`,
            ]
          : []),
        'next: coffer node start, then coffer cluster unseal (M times), then coffer cluster activate',
      ].join('\n'),
    );
  });
}
