import { Command } from 'commander';
import { CofferClient, type CofferSession } from '../client/index.js';
import { clientOptions, resolveConnectionSettings, type ConnectionFlags } from './connection.js';
import { resolveCredentials, type Credentials, type CredentialFlags } from './credentials.js';
import type { CliIo } from './io.js';
import { loginWithMfa, type MfaFlags } from './mfa-login.js';
import { readTokenFile } from './token-files.js';
import { humanFailure, jsonFailure, jsonSuccess, type Outcome } from './output.js';

/** What every command shares: the I/O and, once it ran, its exit code. */
export interface CliContext {
  readonly io: CliIo;
  exitCode: number;
}

export interface CommonOptions extends ConnectionFlags {
  readonly json?: boolean;
}

export interface AuthOptions extends CommonOptions, MfaFlags {
  /** A quorum token file with its approvals: every request of the command carries them. */
  readonly approval?: string;
  /** Login flags; the user commands spell them --login-username / --login-password. */
  readonly username?: string;
  readonly password?: string;
  readonly loginUsername?: string;
  readonly loginPassword?: string;
}

/** Adds `--json` and the connection flags to a leaf command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print CloudHSM CLI\'s JSON shape: {"error_code":0,"data":…}')
    .option(
      '--endpoint <urls>',
      'node URL(s), comma-separated or repeated; URL#zone names its zone (else COFFER_ENDPOINT, else the client config)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--zone <zone>', "this client's zone: its nodes are used first (else COFFER_ZONE, else the client config)")
    .option('--discover', 'also use the nodes the endpoints list (else COFFER_DISCOVER=1, else the client config)')
    .option('--ca-file <file>', 'cluster CA certificate (else COFFER_CA_FILE, else the client config)')
    .option('--cert-file <file>', 'client certificate (else COFFER_CLIENT_CERT, else the client config)')
    .option('--key-file <file>', 'client private key (else COFFER_CLIENT_KEY, else the client config)')
    .option(
      '--config <file>',
      'client config JSON (else COFFER_CONFIG, $COFFER_DATA_DIR/client.json, ./.coffer/client.json)',
    );
}

/**
 * Adds `--json`, connection and login flags. `targetUser` commands (user create …) use
 * --username/--password for the user they act on, so their login flags are --login-*.
 */
export function withAuthOptions(command: Command, targetUser = false): Command {
  withCommonOptions(command);
  if (!targetUser) {
    command.option('--username <name>', 'log in as this user (else COFFER_PIN / CLOUDHSM_PIN, else a prompt)');
    command.option('--password <password>', 'the login password (else COFFER_PIN / CLOUDHSM_PIN, else a prompt)');
  }
  return command
    .option('--login-username <name>', 'log in as this user')
    .option('--login-password <password>', 'the login password')
    .option('--mfa-key-file <file>', 'MFA: sign the login challenge with this private key (PEM)')
    .option(
      '--mfa-token-file <file>',
      'MFA: write the login challenge here for offline signing, or read it back signed',
    )
    .option('--approval <file>', 'a quorum token file holding the approvals this operation needs');
}

/** Runs a command body and prints its outcome or error; sets the exit code. */
export async function execute(ctx: CliContext, options: CommonOptions, body: () => Promise<Outcome>): Promise<void> {
  try {
    const outcome = await body();
    ctx.io.writeOut(`${options.json ? jsonSuccess(outcome.data) : outcome.human}\n`);
    ctx.exitCode = 0;
  } catch (error) {
    if (options.json) ctx.io.writeOut(`${jsonFailure(error)}\n`);
    else ctx.io.writeErr(`${humanFailure(error)}\n`);
    ctx.exitCode = 1;
  }
}

/** A client for the resolved connection settings, closed after `use`. */
export async function withClient<T>(
  ctx: CliContext,
  options: CommonOptions,
  use: (client: CofferClient) => Promise<T>,
): Promise<T> {
  const client = new CofferClient(clientOptions(resolveConnectionSettings(options, ctx.io)));
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** For commands whose --username/--password name the user acted on: only the --login-* flags log in. */
export function loginOnly(options: AuthOptions): AuthOptions {
  const { username: _target, password: _secret, ...rest } = options;
  return rest;
}

export function loginFlags(options: AuthOptions): CredentialFlags {
  const username = options.loginUsername ?? options.username;
  const password = options.loginPassword ?? options.password;
  return { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/** Logs in, runs `use`, and logs out in `finally` (a logout failure is ignored: seal ends sessions). */
export async function withSession<T>(
  ctx: CliContext,
  options: AuthOptions,
  use: (session: CofferSession, login: Credentials) => Promise<T>,
): Promise<T> {
  const credentials = await resolveCredentials(loginFlags(options), ctx.io);
  return withClient(ctx, options, async (client) => {
    const session = await loginWithMfa(client, credentials, options, ctx.io);
    const approved =
      options.approval === undefined ? session : session.withApproval(await readTokenFile(ctx.io, options.approval));
    try {
      return await use(approved, credentials);
    } finally {
      await session.logout().catch(() => undefined);
    }
  });
}
