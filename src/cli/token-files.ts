import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { QuorumTokenFile } from '../client/index.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Token files for offline signing, in CloudHSM's token-sign shape. A challenge file (MFA login,
 * key registration) is `{"version":"2.0","challengeId","tokens":[{"unsigned":b64,"signed":""}]}`:
 * sign the decoded `unsigned` bytes with SHA-256 (`openssl dgst -sha256 -sign key.pem`), put the
 * base64 signature in `signed`, and run the command again with the same file.
 */
export interface ChallengeFile {
  readonly version: '2.0';
  readonly challengeId: string;
  readonly expires?: string;
  readonly tokens: readonly { readonly unsigned: string; readonly signed: string }[];
}

export function pathIn(io: CliIo, file: string): string {
  return resolve(io.cwd, file);
}

export async function readJsonFile<T>(io: CliIo, file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(pathIn(io, file), 'utf8')) as T;
  } catch (error) {
    throw new CliError('FILE_ERROR', `cannot read ${file}: ${(error as Error).message}`);
  }
}

export async function writeJsonFile(io: CliIo, file: string, value: unknown): Promise<void> {
  await writeFile(pathIn(io, file), `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

export async function readText(io: CliIo, file: string): Promise<string> {
  try {
    return await readFile(pathIn(io, file), 'utf8');
  } catch (error) {
    throw new CliError('FILE_ERROR', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The signed answer in a challenge file, or undefined when the file is absent or unsigned. */
export async function signedChallenge(
  io: CliIo,
  file: string,
): Promise<{ challengeId: string; signature: string } | undefined> {
  if (!existsSync(pathIn(io, file))) return undefined;
  const parsed = await readJsonFile<ChallengeFile>(io, file);
  const signed = parsed.tokens?.[0]?.signed;
  if (typeof parsed.challengeId !== 'string' || typeof signed !== 'string' || signed === '') return undefined;
  return { challengeId: parsed.challengeId, signature: signed };
}

/** Writes an unsigned challenge and stops the command with what to do next. */
export async function writeChallenge(
  io: CliIo,
  file: string,
  challenge: { challengeId: string; challenge: string; expiresAt: string },
  what: string,
): Promise<never> {
  const content: ChallengeFile = {
    version: '2.0',
    challengeId: challenge.challengeId,
    expires: challenge.expiresAt,
    tokens: [{ unsigned: challenge.challenge, signed: '' }],
  };
  await writeJsonFile(io, file, content);
  throw new CliError(
    'MISSING_ARGUMENT',
    `${what}: wrote the challenge to ${file}. Sign it (jq -r '.tokens[0].unsigned' ${file} | base64 -d | ` +
      `openssl dgst -sha256 -sign key.pem | base64 -w0), put the signature in tokens[0].signed, ` +
      `and run the same command again before ${challenge.expiresAt}`,
  );
}

export async function readTokenFile(io: CliIo, file: string): Promise<QuorumTokenFile> {
  const parsed = await readJsonFile<QuorumTokenFile>(io, file);
  if (typeof parsed.token !== 'string' || typeof parsed.approval_data !== 'string' || !Array.isArray(parsed.signatures))
    throw new CliError('FILE_ERROR', `${file} is not a quorum token file`);
  return parsed;
}
