/**
 * Adding and removing nodes, as CloudHSM's create-hsm / delete-hsm:
 *   new machine:  coffer node prepare --data-dir D          (key + CSR; prints the CSR path)
 *   admin:        coffer cluster add-node --csr D/tls/node.csr --node-zone Z --out bundle.json
 *   new machine:  coffer node join --data-dir D --bundle bundle.json; coffer node start …
 *   admin:        coffer cluster remove-node --node-id ID
 *   any user:     coffer cluster list-nodes
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { ClusterNodeView, JoinBundle } from '../../client/index.js';
import { DEFAULT_DATA_DIR } from '../../cluster/data-dir.js';
import { joinNode, prepareNode } from '../../cluster/membership/join.js';
import type { JoinBundle as NodeJoinBundle } from '../../cluster/membership/node-admission.js';
import { CliError } from '../errors.js';
import { keyValues, table } from '../output.js';
import {
  execute,
  withAuthOptions,
  withSession,
  type AuthOptions,
  type CliContext,
  type CommonOptions,
} from '../run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('FILE_ERROR', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function nodesTable(nodes: readonly ClusterNodeView[]): string {
  return table(
    ['node-id', 'zone', 'health', 'sealed', 'version', 'in-flight', 'req/s', 'url'],
    nodes.map((node) => [
      node.nodeId,
      node.zone ?? '-',
      node.health,
      node.sealed ?? '-',
      node.version ?? '-',
      node.load?.inFlight ?? '-',
      node.load?.ratePerSecond ?? '-',
      node.url ?? '-',
    ]),
  );
}

/** `cluster add-node`, `cluster remove-node`, `cluster list-nodes`. */
export function registerClusterNodeCommands(cluster: Command, ctx: CliContext): void {
  withAuthOptions(
    cluster
      .command('add-node')
      .description('add a node (admin): the cluster CA signs its CSR; writes what its data dir needs (no secret)'),
  )
    .requiredOption('--csr <file>', 'the CSR `coffer node prepare` made on the new machine')
    .requiredOption('--out <file>', 'where to write the join bundle for `coffer node join`')
    .option('--node-zone <zone>', "the new node's zone (availability zone, rack, site); --zone is the client's own")
    .option('--dns-name <name>', 'a DNS name the node is reached by (repeat); localhost is always in', collect, [])
    .option('--ip-address <ip>', 'an IP address the node is reached at (repeat); loopback is always in', collect, [])
    .option('--force', 'replace the --out file')
    .action(
      (
        options: AuthOptions & {
          csr: string;
          out: string;
          nodeZone?: string;
          dnsName: string[];
          ipAddress: string[];
          force?: boolean;
        },
      ) =>
        execute(ctx, options, async () => {
          const csr = await readText(path.resolve(ctx.io.cwd, options.csr));
          const bundle = await withSession(ctx, options, (session) =>
            session.nodes.addNode({
              csr,
              ...(options.nodeZone !== undefined && { zone: options.nodeZone }),
              ...(options.dnsName.length > 0 && { dnsNames: options.dnsName }),
              ...(options.ipAddress.length > 0 && { ipAddresses: options.ipAddress }),
            }),
          );
          const out = path.resolve(ctx.io.cwd, options.out);
          await writeBundle(out, bundle, options.force === true);
          return {
            data: { 'node-id': bundle.nodeId, 'bundle-path': out },
            human: keyValues([
              ['node-id', bundle.nodeId],
              ['bundle', out],
              ['next', `on the new machine: coffer node join --bundle ${path.basename(out)}; coffer node start`],
            ]),
          };
        }),
    );

  withAuthOptions(
    cluster.command('remove-node').description('remove a node (admin): its certificate is revoked everywhere'),
  )
    .requiredOption('--node-id <id>', 'the node to remove (see list-nodes)')
    .action((options: AuthOptions & { nodeId: string }) =>
      execute(ctx, options, async () => {
        const removed = await withSession(ctx, options, (session) => session.nodes.removeNode(options.nodeId));
        return {
          data: removed,
          human: keyValues([
            ['removed', removed.nodeId],
            ['revoked-serial', removed.serialNumber],
          ]),
        };
      }),
    );

  withAuthOptions(
    cluster.command('list-nodes').description('the nodes: id, zone, health, seal state, version, load'),
  ).action((options: AuthOptions) =>
    execute(ctx, options, async () => {
      const nodes = await withSession(ctx, options, (session) => session.nodes.listNodes());
      return { data: { nodes }, human: nodesTable(nodes) };
    }),
  );
}

/** `node prepare` and `node join`: the new machine's side, before it ever starts. */
export function registerNodeJoinCommands(node: Command, ctx: CliContext): void {
  const dataDirOption = (command: Command): Command =>
    command
      .option('--data-dir <dir>', 'the new data directory', process.env.COFFER_DATA_DIR ?? DEFAULT_DATA_DIR)
      .option('--json', 'print JSON');

  dataDirOption(node.command('prepare').description('make a new node key and CSR, for `cluster add-node`'))
    .option('--node-id <id>', 'the node id (default: node-<random hex>)')
    .action((options: CommonOptions & { dataDir: string; nodeId?: string }) =>
      execute(ctx, options, async () => {
        const prepared = await prepareNode({
          dataDir: path.resolve(ctx.io.cwd, options.dataDir),
          ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
        });
        return {
          data: { 'node-id': prepared.nodeId, 'csr-path': prepared.csrFile },
          human: keyValues([
            ['node-id', prepared.nodeId],
            ['csr', prepared.csrFile],
            [
              'next',
              `an admin: coffer cluster add-node --csr ${prepared.csrFile} --node-zone <zone> --out bundle.json`,
            ],
          ]),
        };
      }),
    );

  dataDirOption(node.command('join').description('install the bundle `cluster add-node` wrote'))
    .requiredOption('--bundle <file>', 'the join bundle')
    .action((options: CommonOptions & { dataDir: string; bundle: string }) =>
      execute(ctx, options, async () => {
        const text = await readText(path.resolve(ctx.io.cwd, options.bundle));
        let bundle: NodeJoinBundle;
        try {
          bundle = JSON.parse(text) as NodeJoinBundle;
        } catch {
          throw new CliError('FILE_ERROR', `${options.bundle} is not JSON`);
        }
        const joined = await joinNode({ dataDir: path.resolve(ctx.io.cwd, options.dataDir), bundle });
        return {
          data: { 'node-id': joined.nodeId },
          human: `node ${joined.nodeId} joined; start it (it starts sealed and unseals from a peer): coffer node start`,
        };
      }),
    );
}

async function writeBundle(file: string, bundle: JoinBundle, force: boolean): Promise<void> {
  try {
    await writeFile(file, JSON.stringify(bundle, null, 2) + '\n', { mode: 0o600, flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'EEXIST') throw new CliError('FILE_ERROR', `${file} exists; pass --force to replace it`);
    throw new CliError('FILE_ERROR', `cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
