import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Server challenges for MFA logins and for proving possession of a key being registered:
 * random, single use, bound to one user and one purpose, expiring after 5 minutes. They are
 * held in this node's memory only (not replicated): the answer must come back to the node
 * that issued the challenge, which the SDK's endpoint preference does. A node restart
 * forgets them, which only means asking again.
 */
/** `mfa-confirm`: the MFA signature that confirms a change of the user's own MFA or quorum key. */
export type ChallengePurpose = 'mfa-login' | 'mfa-confirm' | 'register-mfa' | 'register-quorum';

export interface IssuedChallenge {
  readonly challengeId: string;
  /** The bytes to sign (32 random bytes, base64). */
  readonly challenge: string;
  readonly expiresAt: string;
}

interface Held {
  readonly username: string;
  readonly purpose: ChallengePurpose;
  readonly bytes: Buffer;
  readonly expiresAt: number;
}

export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
/** Bounded so an anonymous caller cannot fill memory: the oldest go first. */
const MAX_HELD = 10_000;

export class ChallengeStore {
  private readonly held = new Map<string, Held>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(username: string, purpose: ChallengePurpose): IssuedChallenge {
    this.sweep();
    while (this.held.size >= MAX_HELD) this.held.delete(this.held.keys().next().value as string);
    const challengeId = randomBytes(16).toString('base64url');
    const bytes = randomBytes(32);
    const expiresAt = this.now() + CHALLENGE_LIFETIME_MS;
    this.held.set(challengeId, { username, purpose, bytes, expiresAt });
    return { challengeId, challenge: bytes.toString('base64'), expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The challenge's bytes, removed (single use), if it is live and was issued to this user for this purpose. */
  take(challengeId: string, username: string, purpose: ChallengePurpose): Buffer | undefined {
    const held = this.held.get(challengeId);
    if (!held) return undefined;
    this.held.delete(challengeId);
    const sameUser =
      held.username.length === username.length && timingSafeEqual(Buffer.from(held.username), Buffer.from(username));
    if (!sameUser || held.purpose !== purpose || held.expiresAt <= this.now()) return undefined;
    return held.bytes;
  }

  get size(): number {
    return this.held.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, held] of this.held) if (held.expiresAt <= now) this.held.delete(id);
  }
}
