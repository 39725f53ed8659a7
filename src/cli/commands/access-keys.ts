import type { Command } from 'commander';
import type { AccessKey } from '../../client/index.js';
import { keyChangeConfirmation } from '../mfa-login.js';
import { keyValues, table } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

function accessKeyJson(key: AccessKey): Record<string, unknown> {
  return { 'access-key-id': key.accessKeyId, username: key.username, status: key.status, 'created-at': key.createdAt };
}

type IdOptions = AuthOptions & { accessKeyId: string };

/**
 * `user create-access-key`, `list-access-keys`, `disable-access-key`, `delete-access-key`: the
 * credentials an application signs KMS requests with. Creating one is for yourself, confirmed
 * with your login password (and `--mfa-key-file` with MFA); the secret is printed this once.
 */
export function registerAccessKeyCommands(user: Command, ctx: CliContext): void {
  withAuthOptions(
    user
      .command('create-access-key')
      .description('create an access key for the KMS-compatible API (yours; printed once)'),
  ).action((options: AuthOptions) =>
    execute(ctx, options, () =>
      withSession(ctx, options, async (session, login) => {
        const issued = await session.createAccessKey(await keyChangeConfirmation(login, options, ctx.io));
        return {
          data: { ...accessKeyJson(issued), 'secret-access-key': issued.secretAccessKey },
          human: `${keyValues([
            ['access-key-id', issued.accessKeyId],
            ['secret-access-key', issued.secretAccessKey],
            ['username', issued.username],
          ])}\nThe secret access key is shown only now: keep it as you keep a password.`,
        };
      }),
    ),
  );

  withAuthOptions(user.command('list-access-keys').description('list your access keys (an admin: --for-user)'))
    .option('--for-user <name>', "an admin: another user's access keys")
    .action((options: AuthOptions & { forUser?: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const keys = await session.listAccessKeys(options.forUser);
          return {
            data: { 'access-keys': keys.map(accessKeyJson) },
            human: table(
              ['ACCESS KEY ID', 'USERNAME', 'STATUS', 'CREATED'],
              keys.map((key) => [key.accessKeyId, key.username, key.status, key.createdAt]),
            ),
          };
        }),
      ),
    );

  withAuthOptions(user.command('disable-access-key').description('make an access key Inactive for good'))
    .requiredOption('--access-key-id <id>', 'the access key')
    .action((options: IdOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const key = await session.disableAccessKey(options.accessKeyId);
          return { data: accessKeyJson(key), human: `Access key ${key.accessKeyId}: ${key.status}` };
        }),
      ),
    );

  withAuthOptions(user.command('delete-access-key').description('delete an access key'))
    .requiredOption('--access-key-id <id>', 'the access key')
    .action((options: IdOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          await session.deleteAccessKey(options.accessKeyId);
          return {
            data: { 'access-key-id': options.accessKeyId },
            human: `Deleted access key ${options.accessKeyId}`,
          };
        }),
      ),
    );
}
