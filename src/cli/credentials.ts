import { CliError } from './errors.js';
import type { CliIo } from './io.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface CredentialFlags {
  readonly username?: string;
  readonly password?: string;
}

/** Parses `user:password` (the password may itself contain colons). */
export function parsePin(pin: string, source: string): Credentials {
  const colon = pin.indexOf(':');
  if (colon <= 0 || colon === pin.length - 1) throw new CliError('INVALID_ARGUMENT', `${source} must be user:password`);
  return { username: pin.slice(0, colon), password: pin.slice(colon + 1) };
}

/** COFFER_PIN, else CLOUDHSM_PIN (as CloudHSM CLI's single-command mode). */
export function pinFromEnv(env: CliIo['env']): Credentials | undefined {
  for (const name of ['COFFER_PIN', 'CLOUDHSM_PIN'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '') return parsePin(value, name);
  }
  return undefined;
}

/**
 * Login credentials, highest first: flags; COFFER_PIN / CLOUDHSM_PIN (its password is used only
 * for its own user); an interactive prompt when stdin is a TTY; else MISSING_CREDENTIALS.
 */
export async function resolveCredentials(flags: CredentialFlags, io: CliIo): Promise<Credentials> {
  const pin = pinFromEnv(io.env);
  let username = flags.username ?? pin?.username;
  let password = flags.password ?? (pin !== undefined && pin.username === username ? pin.password : undefined);
  if (username !== undefined && password !== undefined) return { username, password };
  if (!io.interactive) {
    throw new CliError(
      'MISSING_CREDENTIALS',
      'log in with --username and --password, or set COFFER_PIN=user:password (stdin is not a terminal, so there is no prompt)',
    );
  }
  username ??= (await io.promptLine('Username: ')).trim();
  password ??= await io.promptSecret(`Password for ${username}: `);
  if (username === '' || password === '')
    throw new CliError('MISSING_CREDENTIALS', 'a username and a password are required');
  return { username, password };
}

/**
 * A new secret (a new password): the flag, else the environment variable, else a prompt typed
 * twice; else MISSING_ARGUMENT.
 */
export async function resolveNewSecret(
  io: CliIo,
  sources: { readonly flag?: string; readonly flagName: string; readonly envName?: string; readonly prompt: string },
): Promise<string> {
  if (sources.flag !== undefined) return sources.flag;
  const fromEnv = sources.envName === undefined ? undefined : io.env[sources.envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.interactive) {
    const env = sources.envName === undefined ? '' : ` or set ${sources.envName}`;
    throw new CliError(
      'MISSING_ARGUMENT',
      `give ${sources.flagName}${env} (stdin is not a terminal, so there is no prompt)`,
    );
  }
  const first = await io.promptSecret(`${sources.prompt}: `);
  const second = await io.promptSecret(`${sources.prompt} (again): `);
  if (first !== second) throw new CliError('INVALID_ARGUMENT', 'the two entries differ');
  return first;
}
