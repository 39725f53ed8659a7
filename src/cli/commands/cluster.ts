import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { ClusterStatus } from '../../client/index.js';
import { createKeyAndCsr, privateKeyPem } from '../../pki/index.js';
import { resolveNewSecret } from '../credentials.js';
import { CliError } from '../errors.js';
import { keyValues } from '../output.js';
import { zoneWarning } from '../zone-warning.js';
import {
  execute,
  withAuthOptions,
  withClient,
  withCommonOptions,
  withSession,
  type AuthOptions,
  type CliContext,
  type CommonOptions,
} from '../run.js';

function statusHuman(status: ClusterStatus): string {
  return keyValues([
    ['cluster-id', status.clusterId],
    ['node-id', status.nodeId],
    ['mode', status.mode],
    ['sealed', status.sealed],
    ['activated', status.activated],
    ['unseal-progress', `${status.unseal.progress}/${status.unseal.threshold} (of ${status.unseal.shares} shares)`],
    ['version', status.version],
  ]);
}

async function readShare(ctx: CliContext, shareFile: string | undefined): Promise<string> {
  if (shareFile !== undefined) {
    try {
      return (await readFile(shareFile, 'utf8')).trim();
    } catch (error) {
      throw new CliError(
        'FILE_ERROR',
        `cannot read ${shareFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (!ctx.io.interactive)
    throw new CliError('MISSING_ARGUMENT', 'give --share-file FILE (stdin is not a terminal, so there is no prompt)');
  return (await ctx.io.promptSecret('Unseal share: ')).trim();
}

/** Writes a file created with `mode`, refusing to replace one unless `force`. */
async function writeNew(file: string, content: string, mode: number, force: boolean): Promise<void> {
  try {
    await writeFile(file, content, { mode, flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'EEXIST') throw new CliError('FILE_ERROR', `${file} exists; pass --force to replace it`);
    throw new CliError('FILE_ERROR', `cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function registerClusterCommands(program: Command, ctx: CliContext): Command {
  const cluster = program
    .command('cluster')
    .description('cluster state: status, unseal, seal, activate, client certificates');

  withCommonOptions(cluster.command('status').description('show the node and cluster state')).action(
    (options: CommonOptions) =>
      execute(ctx, options, () =>
        withClient(ctx, options, async (client) => {
          const status = await client.status();
          // Best effort: an older node without the list gives no warning rather than an error.
          const nodes = await client.clusterNodes().catch(() => []);
          const warning = zoneWarning(nodes);
          return {
            data: { ...status, nodes, ...(warning !== undefined && { warnings: [warning] }) },
            human: statusHuman(status) + (warning === undefined ? '' : `\nwarning: ${warning}`),
          };
        }),
      ),
  );

  withCommonOptions(cluster.command('unseal').description('submit one unseal share (from a file, else a prompt)'))
    .option('--share-file <file>', 'a file holding one share (coffer-share-v1.…)')
    .action((options: CommonOptions & { shareFile?: string }) =>
      execute(ctx, options, async () => {
        const share = await readShare(ctx, options.shareFile);
        return withClient(ctx, options, async (client) => {
          const result = await client.unseal(share);
          return {
            data: result,
            human: keyValues([
              ['sealed', result.sealed],
              ['unseal-progress', `${result.progress}/${result.threshold}`],
            ]),
          };
        });
      }),
    );

  withAuthOptions(cluster.command('seal').description('seal the node (admin); every session ends')).action(
    (options: AuthOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const result = await session.seal();
          return { data: result, human: keyValues([['sealed', result.sealed]]) };
        }),
      ),
  );

  withCommonOptions(cluster.command('activate').description("set the initial admin's password (once)"))
    .option('--password <password>', 'the new admin password (else COFFER_ACTIVATE_PASSWORD, else a prompt)')
    .action((options: CommonOptions & { password?: string }) =>
      execute(ctx, options, async () => {
        const password = await resolveNewSecret(ctx.io, {
          flag: options.password,
          flagName: '--password',
          envName: 'COFFER_ACTIVATE_PASSWORD',
          prompt: 'New admin password',
        });
        return withClient(ctx, options, async (client) => {
          const result = await client.activate(password);
          return { data: result, human: `Cluster activated: ${result.username} (${result.role}) can now log in` };
        });
      }),
    );

  withAuthOptions(
    cluster
      .command('issue-client-cert')
      .description('make a key here, have the cluster CA certify it (admin); writes client.crt and client.key'),
  )
    .requiredOption('--common-name <name>', 'the certificate subject CN')
    .requiredOption('--out-dir <dir>', 'where to write client.crt, client.key and ca.crt')
    .option('--force', 'replace existing files')
    .action((options: AuthOptions & { commonName: string; outDir: string; force?: boolean }) =>
      execute(ctx, options, async () => {
        const { privateKey, csrPem } = await createKeyAndCsr({ commonName: options.commonName });
        const issued = await withSession(ctx, options, (session) =>
          session.issueClientCertificate(csrPem, options.commonName),
        );
        const dir = path.resolve(ctx.io.cwd, options.outDir);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const files = {
          certificate: path.join(dir, 'client.crt'),
          key: path.join(dir, 'client.key'),
          ca: path.join(dir, 'ca.crt'),
        };
        const force = options.force === true;
        await writeNew(files.key, privateKeyPem(privateKey), 0o600, force);
        await writeNew(files.certificate, issued.certificate, 0o600, force);
        await writeNew(files.ca, issued.caCertificate, 0o644, force);
        return {
          data: { 'certificate-path': files.certificate, 'key-path': files.key, 'ca-path': files.ca },
          human: keyValues([
            ['certificate', files.certificate],
            ['key', files.key],
            ['ca', files.ca],
          ]),
        };
      }),
    );

  return cluster;
}
