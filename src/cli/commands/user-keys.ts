import type { Command } from 'commander';
import { signBytes, type CofferSession, type KeyChangeConfirmation, type UserSummary } from '../../client/index.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { keyChangeConfirmation } from '../mfa-login.js';
import { execute, loginOnly, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';
import { readText, signedChallenge, writeChallenge } from '../token-files.js';

type Purpose = 'mfa' | 'quorum';

/**
 * Registers the session user's MFA or quorum key, proving possession: signed here with
 * `--private-key-file`, or offline through a token file (first run writes the registration
 * token; the second run, with the file signed, registers). The login password (and the
 * `--mfa-key-file` key, for a user with MFA) confirms the change.
 */
async function register(
  session: CofferSession,
  io: CliIo,
  purpose: Purpose,
  files: { publicKey: string; privateKey?: string; token?: string },
  confirm: KeyChangeConfirmation,
): Promise<UserSummary> {
  const publicKey = await readText(io, files.publicKey);
  const offline = files.token === undefined ? undefined : await signedChallenge(io, files.token);
  if (offline) return session.registerKey(purpose, publicKey, offline, confirm);
  const issued = await session.registrationToken(purpose);
  if (files.privateKey !== undefined) {
    const signature = signBytes(await readText(io, files.privateKey), Buffer.from(issued.challenge, 'base64'));
    return session.registerKey(purpose, publicKey, { challengeId: issued.challengeId, signature }, confirm);
  }
  if (files.token === undefined) throw new CliError('MISSING_ARGUMENT', 'give --private-key-file or a token file');
  return writeChallenge(io, files.token, issued, `${purpose} key registration`);
}

function registered(user: UserSummary, purpose: Purpose): { data: Record<string, unknown>; human: string } {
  const on = purpose === 'mfa' ? user.mfa : user.quorumKey;
  return {
    data: { username: user.username, role: user.role },
    human: `${purpose === 'mfa' ? 'MFA' : 'Quorum'} key for ${user.username}: ${on ? 'registered' : 'not registered'}`,
  };
}

type KeyOptions = AuthOptions & {
  publicKeyFile?: string;
  publicKey?: string;
  privateKeyFile?: string;
  token?: string;
  signedToken?: string;
  deregister?: boolean;
  username?: string;
};

/** `user change-mfa token-sign` and `user change-quorum token-sign register`. */
export function registerUserKeyCommands(user: Command, ctx: CliContext): void {
  withAuthOptions(
    user
      .command('change-mfa')
      .description('MFA (token-sign): register or deregister a key')
      .command('token-sign')
      .description('register your MFA public key, or --deregister (an admin: another user, under the user quorum)'),
    true,
  )
    .option('--public-key-file <file>', 'the public key (PEM): RSA ≥ 2048 or EC P-256')
    .option('--private-key-file <file>', 'its private key, to sign the registration token here')
    .option('--token <file>', 'offline: the registration token file (written, then read back signed)')
    .option('--deregister', 'remove the MFA key')
    .option('--username <name>', 'with --deregister: the user (default: you)')
    .action((options: KeyOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, loginOnly(options), async (session, login) => {
          const confirm = await keyChangeConfirmation(login, options, ctx.io);
          if (options.deregister) {
            const target = options.username ?? login.username;
            // Your own key needs the confirmation; an admin removing another user's does not.
            const own = target.toLowerCase() === login.username.toLowerCase();
            return registered(await session.deregisterKey(target, 'mfa', own ? confirm : undefined), 'mfa');
          }
          if (options.publicKeyFile === undefined) throw new CliError('MISSING_ARGUMENT', 'give --public-key-file');
          const files = { publicKey: options.publicKeyFile, privateKey: options.privateKeyFile, token: options.token };
          return registered(await register(session, ctx.io, 'mfa', files, confirm), 'mfa');
        }),
      ),
    );

  withAuthOptions(
    user
      .command('change-quorum')
      .description('quorum (token-sign): register an approval key')
      .command('token-sign')
      .description('token-sign quorum strategy')
      .command('register')
      .description('register your quorum public key'),
  )
    .requiredOption('--public-key <file>', 'the public key (PEM): RSA ≥ 2048 or EC P-256')
    .option('--private-key-file <file>', 'its private key, to sign the registration token here')
    .option('--signed-token <file>', 'offline: the registration token file (written, then read back signed)')
    .action((options: KeyOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session, login) => {
          const files = {
            publicKey: options.publicKey!,
            privateKey: options.privateKeyFile,
            token: options.signedToken,
          };
          const confirm = await keyChangeConfirmation(login, options, ctx.io);
          return registered(await register(session, ctx.io, 'quorum', files, confirm), 'quorum');
        }),
      ),
    );
}
