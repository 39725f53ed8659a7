import type { Command } from 'commander';
import type { Role, UserSummary } from '../../client/index.js';
import { resolveNewSecret } from '../credentials.js';
import { CliError } from '../errors.js';
import { keyValues, table } from '../output.js';
import { registerAccessKeyCommands } from './access-keys.js';
import { registerUserKeyCommands } from './user-keys.js';
import { execute, loginOnly, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

const ROLES: readonly Role[] = ['admin', 'crypto-user'];

/** CloudHSM CLI's `user list` entry: mfa and quorum are lists of registered strategies. */
function userJson(user: UserSummary): Record<string, unknown> {
  const strategy = [{ strategy: 'token-sign', status: 'enabled' }];
  return {
    username: user.username,
    role: user.role,
    locked: String(user.locked),
    mfa: user.mfa ? strategy : [],
    quorum: user.quorumKey ? strategy : [],
    'cluster-coverage': 'full',
    'created-at': user.createdAt,
  };
}

function userHuman(user: UserSummary): string {
  return keyValues([
    ['username', user.username],
    ['role', user.role],
    ['locked', user.locked],
    ['mfa', user.mfa ? 'token-sign' : 'none'],
    ['quorum', user.quorumKey ? 'token-sign' : 'none'],
    ['created-at', user.createdAt],
  ]);
}

function parseRole(value: string): Role {
  if (!ROLES.includes(value as Role))
    throw new CliError('INVALID_ARGUMENT', `--role must be admin or crypto-user, not "${value}"`);
  return value as Role;
}

type TargetOptions = AuthOptions & { username: string };

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program
    .command('user')
    .description('users: list, create, delete, unlock, change-password, change-mfa, change-quorum, and access keys');
  registerUserKeyCommands(user, ctx);
  registerAccessKeyCommands(user, ctx);

  withAuthOptions(user.command('list').description('list the users')).action((options: AuthOptions) =>
    execute(ctx, options, () =>
      withSession(ctx, options, async (session) => {
        const users = await session.listUsers();
        return {
          data: { users: users.map(userJson) },
          human: table(
            ['USERNAME', 'ROLE', 'LOCKED', 'MFA', 'QUORUM KEY', 'CREATED'],
            users.map((u) => [u.username, u.role, u.locked, u.mfa, u.quorumKey, u.createdAt]),
          ),
        };
      }),
    ),
  );

  withAuthOptions(user.command('create').description('create a user (admin)'), true)
    .requiredOption('--username <name>', 'the new user')
    .requiredOption('--role <role>', 'admin or crypto-user')
    .option('--password <password>', "the new user's password (else COFFER_NEW_PASSWORD, else a prompt)")
    .action((options: TargetOptions & { role: string; password?: string }) =>
      execute(ctx, options, async () => {
        const role = parseRole(options.role);
        const password = await resolveNewSecret(ctx.io, {
          flag: options.password,
          flagName: '--password',
          envName: 'COFFER_NEW_PASSWORD',
          prompt: `Password for ${options.username}`,
        });
        const created = await withSession(ctx, loginOnly(options), (session) =>
          session.createUser(options.username, role, password),
        );
        return { data: userJson(created), human: userHuman(created) };
      }),
    );

  withAuthOptions(user.command('delete').description('delete a user (admin)'), true)
    .requiredOption('--username <name>', 'the user to delete')
    .action((options: TargetOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, loginOnly(options), async (session) => {
          await session.deleteUser(options.username);
          return { data: { username: options.username }, human: `Deleted user ${options.username}` };
        }),
      ),
    );

  withAuthOptions(user.command('unlock').description('unlock a user locked out by failed logins (admin)'), true)
    .requiredOption('--username <name>', 'the user to unlock')
    .action((options: TargetOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, loginOnly(options), async (session) => {
          const unlocked = await session.unlockUser(options.username);
          return { data: userJson(unlocked), human: userHuman(unlocked) };
        }),
      ),
    );

  withAuthOptions(user.command('change-password').description('change your own password; your other sessions end'))
    .option('--current-password <password>', 'your current password (else the login password)')
    .option('--new-password <password>', 'the new password (else COFFER_NEW_PASSWORD, else a prompt)')
    .option('--for-user <name>', "an admin: set another user's password (no current password; under the user quorum)")
    .action((options: AuthOptions & { currentPassword?: string; newPassword?: string; forUser?: string }) =>
      execute(ctx, options, async () => {
        if (options.forUser !== undefined) {
          const target = options.forUser;
          return withSession(ctx, options, async (session) => {
            const next = await resolveNewSecret(ctx.io, {
              flag: options.newPassword,
              flagName: '--new-password',
              envName: 'COFFER_NEW_PASSWORD',
              prompt: `New password for ${target}`,
            });
            await session.quorum.changeUserPassword(target, next);
            return { data: { username: target }, human: `Password changed for ${target}` };
          });
        }
        const loginOptions =
          options.currentPassword !== undefined && options.password === undefined && options.loginPassword === undefined
            ? { ...options, password: options.currentPassword }
            : options;
        return withSession(ctx, loginOptions, async (session, login) => {
          const newPassword = await resolveNewSecret(ctx.io, {
            flag: options.newPassword,
            flagName: '--new-password',
            envName: 'COFFER_NEW_PASSWORD',
            prompt: 'New password',
          });
          await session.changeOwnPassword(options.currentPassword ?? login.password, newPassword);
          return { data: { username: login.username }, human: `Password changed for ${login.username}` };
        });
      }),
    );
}
