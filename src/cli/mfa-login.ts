import { CofferClient, isCofferApiError, type CofferSession, type KeyChangeConfirmation } from '../client/index.js';
import type { Credentials } from './credentials.js';
import type { CliIo } from './io.js';
import { readText, signedChallenge, writeChallenge } from './token-files.js';

export interface MfaFlags {
  /** Sign the MFA challenge here with this private key (PEM). */
  readonly mfaKeyFile?: string;
  /** Offline signing: write the challenge here, or read it back signed. */
  readonly mfaTokenFile?: string;
}

/**
 * Logs in, with MFA when the user has it: `--mfa-key-file` signs the node's challenge here;
 * `--mfa-token-file` writes the challenge to a file for offline signing (and stops), then on the
 * next run reads the signed file back (CloudHSM's `login mfa-token-sign --token`).
 */
export async function loginWithMfa(
  client: CofferClient,
  credentials: Credentials,
  flags: MfaFlags,
  io: CliIo,
): Promise<CofferSession> {
  const { username, password } = credentials;
  if (flags.mfaKeyFile !== undefined)
    return client.login(username, password, { privateKey: await readText(io, flags.mfaKeyFile) });
  if (flags.mfaTokenFile === undefined) return client.login(username, password);
  const answer = await signedChallenge(io, flags.mfaTokenFile);
  if (answer) return client.login(username, password, { answer });
  try {
    return await client.login(username, password);
  } catch (error) {
    if (!isCofferApiError(error, 'MFA_REQUIRED')) throw error;
    const challenge = error.details.challenge as { challengeId: string; challenge: string; expiresAt: string };
    return writeChallenge(io, flags.mfaTokenFile, challenge, 'MFA login');
  }
}

/**
 * The confirmation a change of your own MFA or quorum key needs: the login password, and the
 * `--mfa-key-file` key (when given) to sign the node's MFA confirmation challenge.
 */
export async function keyChangeConfirmation(
  credentials: Credentials,
  flags: MfaFlags,
  io: CliIo,
): Promise<KeyChangeConfirmation> {
  if (flags.mfaKeyFile === undefined) return { password: credentials.password };
  return { password: credentials.password, mfaPrivateKey: await readText(io, flags.mfaKeyFile) };
}
