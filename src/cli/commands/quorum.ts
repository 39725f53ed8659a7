import type { Command } from 'commander';
import { addApproval, tokenFile, type QuorumServiceName } from '../../client/index.js';
import { CliError } from '../errors.js';
import { table } from '../output.js';
import { execute, withAuthOptions, withCommonOptions, withSession, type AuthOptions, type CliContext } from '../run.js';
import { readText, readTokenFile, writeJsonFile } from '../token-files.js';

const SERVICES: readonly QuorumServiceName[] = ['user', 'quorum', 'cluster', 'key-management', 'key-usage'];

function parseService(value: string, allowed: readonly string[] = SERVICES): QuorumServiceName {
  if (!allowed.includes(value))
    throw new CliError('INVALID_ARGUMENT', `--service must be one of ${allowed.join(', ')}`);
  return value as QuorumServiceName;
}

/**
 * `coffer quorum token-sign …`, as CloudHSM CLI: generate a token file, sign it (approvers,
 * offline), list and delete tokens, read and set the quorum values. The protected command then
 * takes `--approval token.json`.
 */
export function registerQuorumCommands(program: Command, ctx: CliContext): void {
  const tokenSign = program
    .command('quorum')
    .description('M-of-N quorum (token-sign)')
    .command('token-sign')
    .description('quorum tokens: generate, sign, list, delete; quorum values');

  withAuthOptions(tokenSign.command('generate').description('generate a quorum token and write it to a file'))
    .requiredOption('--service <service>', SERVICES.join(' | '))
    .requiredOption('--path <file>', 'where to write the token file')
    .option('--key-handle <handle>', 'key services: bind the token to one key')
    .option('--timeout-seconds <n>', 'expiry (1–600, default 600)')
    .action((options: AuthOptions & { service: string; path: string; keyHandle?: string; timeoutSeconds?: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const token = await session.quorum.generateQuorumToken(parseService(options.service), {
            ...(options.keyHandle === undefined ? {} : { keyHandle: options.keyHandle }),
            ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: Number(options.timeoutSeconds) }),
          });
          await writeJsonFile(ctx.io, options.path, tokenFile(token));
          return {
            data: { path: options.path, token: token.id, service: token.service, expires: token.expiresAt },
            human: `Wrote token ${token.id} (${token.service}, expires ${token.expiresAt}) to ${options.path}`,
          };
        }),
      ),
    );

  withCommonOptions(
    tokenSign.command('sign').description("add an approver's signature to a token file (offline, no login)"),
  )
    .requiredOption('--token <file>', 'the token file (updated in place)')
    .requiredOption('--approver <name>', 'the approving user')
    .requiredOption('--private-key-file <file>', "the approver's quorum private key (PEM)")
    .action((options: { json?: boolean; token: string; approver: string; privateKeyFile: string }) =>
      execute(ctx, options, async () => {
        const signed = addApproval(
          await readTokenFile(ctx.io, options.token),
          options.approver.toLowerCase(),
          await readText(ctx.io, options.privateKeyFile),
        );
        await writeJsonFile(ctx.io, options.token, signed);
        return {
          data: { token: signed.token, approvals: signed.signatures.length },
          human: `${options.approver} approved token ${signed.token} (${signed.signatures.length} approval(s))`,
        };
      }),
    );

  withAuthOptions(tokenSign.command('list').description('list the live quorum tokens')).action((options: AuthOptions) =>
    execute(ctx, options, () =>
      withSession(ctx, options, async (session) => {
        const tokens = await session.quorum.listQuorumTokens();
        const now = Date.now();
        const rows = tokens.map((entry) => ({
          token: entry.token,
          username: entry.username,
          service: entry.service,
          'approvals-required': entry.approvalsRequired,
          'token-timeout-seconds': Math.max(0, Math.round((Date.parse(entry.expiresAt) - now) / 1000)),
        }));
        return {
          data: { tokens: rows },
          human: table(
            ['TOKEN', 'USER', 'SERVICE', 'REQUIRED', 'SECONDS LEFT'],
            rows.map((row) => [
              row.token,
              row.username,
              row.service,
              row['approvals-required'],
              row['token-timeout-seconds'],
            ]),
          ),
        };
      }),
    ),
  );

  withAuthOptions(tokenSign.command('delete').description('delete a quorum token'))
    .option('--token <file>', 'the token file')
    .option('--token-id <id>', 'the token id')
    .action((options: AuthOptions & { token?: string; tokenId?: string }) =>
      execute(ctx, options, async () => {
        const id = options.tokenId ?? (options.token && (await readTokenFile(ctx.io, options.token)).token);
        if (!id) throw new CliError('MISSING_ARGUMENT', 'give --token or --token-id');
        return withSession(ctx, options, async (session) => {
          await session.quorum.deleteQuorumToken(id);
          return { data: { token: id }, human: `Deleted token ${id}` };
        });
      }),
    );

  withAuthOptions(tokenSign.command('list-quorum-values').description('the quorum value of each service')).action(
    (options: AuthOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const values = await session.quorum.quorumValues();
          return { data: values, human: table(['SERVICE', 'VALUE'], Object.entries(values)) };
        }),
      ),
  );

  withAuthOptions(tokenSign.command('set-quorum-value').description("set a service's quorum value (admin)"))
    .requiredOption('--service <service>', 'user | quorum | cluster')
    .requiredOption('--value <m>', '1 to 8')
    .action((options: AuthOptions & { service: string; value: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const service = parseService(options.service, ['user', 'quorum', 'cluster']) as 'user' | 'quorum' | 'cluster';
          const values = await session.quorum.setQuorumValue(service, Number(options.value));
          return { data: values, human: `Quorum value of ${service}: ${values[service]}` };
        }),
      ),
    );
}
