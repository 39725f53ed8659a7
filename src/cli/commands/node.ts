import type { Command } from 'commander';
import { relative, resolve } from 'node:path';
import { devUp } from '../../cluster/dev-up.js';
import { DEFAULT_DATA_DIR } from '../../cluster/data-dir.js';
import { parseEndpoint } from '../../client/endpoints.js';
import { DEFAULT_PORT, startNode, type NodeOptions, type RunningNode } from '../../cluster/node.js';
import { COFFER_VERSION } from '../../version.js';
import { addStoreOptions, storeFromFlags, type StoreFlags } from '../store-options.js';

interface ServeOptions {
  dataDir: string;
  host: string;
  port: string;
}

interface ClusterOptions {
  zone?: string;
  advertiseUrl?: string;
  peer?: string[];
}

/** The node's place in the cluster, as clients discover it (GET /v1/cluster/nodes). */
function clusterOptions(command: Command): Command {
  return command
    .option('--zone <zone>', "this node's zone: clients in it prefer it (else COFFER_ZONE)", process.env.COFFER_ZONE)
    .option('--advertise-url <url>', 'the URL clients reach this node at (default: the one it listens on)')
    .option(
      '--peer <url>',
      'another node clients may use, URL#zone; repeat for each',
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

function membershipOf(options: ClusterOptions): Pick<NodeOptions, 'zone' | 'advertiseUrl' | 'peers'> {
  return {
    ...(options.zone === undefined || options.zone === '' ? {} : { zone: options.zone }),
    ...(options.advertiseUrl === undefined ? {} : { advertiseUrl: parseEndpoint(options.advertiseUrl).url }),
    ...(options.peer === undefined ? {} : { peers: options.peer.map((peer) => parseEndpoint(peer)) }),
  };
}

function serveOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory', process.env.COFFER_DATA_DIR ?? DEFAULT_DATA_DIR)
    .option('--host <address>', 'address to listen on', process.env.COFFER_HOST ?? '127.0.0.1')
    .option('--port <port>', 'TLS port', process.env.COFFER_PORT ?? String(DEFAULT_PORT));
}

/** `coffer node start` and `coffer up`: run a node in the foreground until SIGINT/SIGTERM. */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a Coffer node');
  const start = clusterOptions(
    serveOptions(node.command('start').description('start a node on an initialized data directory')),
  ).option('--dev', 'refuse to start unless the cluster was initialized in dev mode');
  // No default: the store cluster init recorded in cluster.json, unless one is named here.
  addStoreOptions(start, process.env.COFFER_STORE).action(
    async (options: ServeOptions & StoreFlags & ClusterOptions & { dev?: boolean }) => {
      const store = storeFromFlags(options);
      const running = await startNode({
        dataDir: options.dataDir,
        host: options.host,
        port: Number(options.port),
        requireDev: options.dev === true,
        ...(store ? { store } : {}),
        ...membershipOf(options),
      });
      await untilSignal(running);
    },
  );

  serveOptions(
    program.command('up').description('dev mode: initialize on first run, unseal, activate, and serve'),
  ).action(async (options: ServeOptions) => {
    const result = await devUp({ dataDir: options.dataDir, host: options.host, port: Number(options.port) });
    printDevBanner(result.node, result.adminPinFile, result.initialized);
    await untilSignal(result.node);
  });
}

function printDevBanner(node: RunningNode, adminPinFile: string, initialized: boolean): void {
  const show = (path: string): string => relative(process.cwd(), path) || '.';
  const lines = [
    '',
    `Coffer ${COFFER_VERSION} — DEV MODE: unseal share and credentials are kept in the data dir. Not for keys you care about.`,
    `  ${initialized ? 'initialized a new dev cluster' : 'reused the dev cluster'} ${node.info.clusterId} in ${show(node.dir.root)} (started in ${node.startupMs} ms)`,
    `  endpoint        ${node.url}`,
    `  CA certificate  ${show(node.dir.caCert)}`,
    `  admin PIN       ${show(adminPinFile)}   (admin:<password>, for COFFER_PIN)`,
    `  client config   ${show(node.dir.clientConfig)}   (the CLI finds it from this directory)`,
    `  PKCS#11 config  ${show(node.dir.pkcs11Config)}   (for pkcs11/build/libcoffer-pkcs11.so)`,
    '',
    'Next, in another terminal:',
    `  export COFFER_PIN=$(cat ${show(adminPinFile)})`,
    '  ./bin/coffer cluster status',
    '  ./bin/coffer user create --username alice --role crypto-user   (asks for her password)',
    '  (then the tour in README.md)',
    '',
    'PKCS#11 (docs/integrations/pkcs11-tool.md):',
    `  export COFFER_PKCS11_CONF=${resolve(node.dir.pkcs11Config)}`,
    '  pkcs11-tool --module pkcs11/build/libcoffer-pkcs11.so -L',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function untilSignal(node: RunningNode): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      node.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
