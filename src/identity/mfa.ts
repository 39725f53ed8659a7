import { CofferError } from '../errors/coffer-error.js';
import type { ChallengePurpose, ChallengeStore, IssuedChallenge } from './challenges.js';
import { parseSignerKey, verifySignature } from './signer-keys.js';
import type { UserRecord } from './user-record.js';

/** The second factor of a login: the signature of a challenge the node issued. */
export interface MfaAnswer {
  readonly challengeId: string;
  /** Base64 signature (SHA-256; RSA PKCS#1 v1.5 or PSS, ECDSA DER) of the challenge bytes. */
  readonly signature: string;
}

/** A right password for an MFA user, without an answer: the challenge to sign travels with the refusal. */
export class MfaRequiredError extends CofferError {
  constructor(readonly challenge: IssuedChallenge) {
    super('MFA_REQUIRED');
  }
}

/** Which challenges an MFA answer may sign: a login's, or a key change's confirmation. */
export type MfaPurpose = Extract<ChallengePurpose, 'mfa-login' | 'mfa-confirm'>;

/**
 * The MFA step of a login, after the password verified: nothing for a user without an MFA key;
 * a fresh challenge (MfaRequiredError) when no answer was given; else whether the answer is a
 * valid signature by the registered key over a live challenge issued to this user.
 */
export async function checkMfa(
  user: UserRecord,
  answer: MfaAnswer | undefined,
  challenges: Pick<ChallengeStore, 'issue' | 'take'>,
  purpose: MfaPurpose = 'mfa-login',
): Promise<boolean> {
  if (!user.mfaKey) return true;
  if (!answer) throw new MfaRequiredError(await challenges.issue(user.username, purpose));
  const challenge = await challenges.take(answer.challengeId, user.username, purpose);
  if (!challenge) return false;
  return verifySignature(parseSignerKey(user.mfaKey.publicKey), challenge, Buffer.from(answer.signature, 'base64'));
}
