import { randomBytes } from 'node:crypto';
import { isCofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { Change, RecordWriter } from '../records/record-writer.js';
import { userPath } from './user-record.js';

/**
 * Server challenges for MFA logins and for proving possession of a key being registered:
 * random, single use, bound to one user and one purpose, expiring after 5 minutes. Each is a
 * sealed record at `challenge/<username>/<id>`, so the answer may come back to any node; it is
 * taken by a commit that deletes it compared on its revision, so an answer sent to two nodes
 * at once is accepted by one of them only. Issue and take are audited.
 */
/** `mfa-confirm`: the MFA signature that confirms a change of the user's own MFA or quorum key. */
export type ChallengePurpose = 'mfa-login' | 'mfa-confirm' | 'register-mfa' | 'register-quorum';

export interface IssuedChallenge {
  readonly challengeId: string;
  /** The bytes to sign (32 random bytes, base64). */
  readonly challenge: string;
  readonly expiresAt: string;
}

interface ChallengeRecord {
  readonly purpose: ChallengePurpose;
  /** base64 */
  readonly bytes: string;
  readonly expiresAt: number;
}

export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const CHALLENGE_PREFIX = 'challenge/';
/** Live challenges per user; issuing one more drops the oldest (in the same commit). */
export const MAX_CHALLENGES_PER_USER = 16;
/** 16 random bytes, base64url. */
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const MAX_SWEPT_PER_COMMIT = 64;

const challengePath = (username: string, id: string): string => `${CHALLENGE_PREFIX}${username}/${id}`;

interface Held {
  readonly path: string;
  readonly record: ChallengeRecord;
  readonly modRevision: number;
}

export interface ChallengeStoreDeps {
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly now?: () => number;
}

export class ChallengeStore {
  private readonly now: () => number;

  constructor(private readonly deps: ChallengeStoreDeps) {
    this.now = deps.now ?? Date.now;
  }

  async issue(username: string, purpose: ChallengePurpose): Promise<IssuedChallenge> {
    const now = this.now();
    const held = await this.held(`${CHALLENGE_PREFIX}${username}/`);
    const live = held
      .filter((entry) => entry.record.expiresAt > now)
      .sort((a, b) => a.record.expiresAt - b.record.expiresAt);
    const dropped = [
      ...held.filter((entry) => entry.record.expiresAt <= now),
      ...live.slice(0, Math.max(0, live.length - MAX_CHALLENGES_PER_USER + 1)),
    ].slice(0, MAX_SWEPT_PER_COMMIT);
    const challengeId = randomBytes(16).toString('base64url');
    const bytes = randomBytes(32);
    const record: ChallengeRecord = {
      purpose,
      bytes: bytes.toString('base64'),
      expiresAt: now + CHALLENGE_LIFETIME_MS,
    };
    const path = challengePath(username, challengeId);
    await this.deps.writer.commit({
      compares: [{ key: path, modRevision: 0 }],
      changes: [
        { type: 'put', path, kind: 'challenge', plaintext: Buffer.from(JSON.stringify(record), 'utf8') },
        ...dropped.map((entry): Change => ({ type: 'delete', path: entry.path })),
      ],
      event: {
        actor: username,
        action: 'challenge.issue',
        target: userPath(username),
        result: 'success',
        details: { purpose, challenge: challengeId },
      },
    });
    return { challengeId, challenge: record.bytes, expiresAt: new Date(record.expiresAt).toISOString() };
  }

  /**
   * The challenge's bytes, taken (single use, on every node), if it is live and was issued to
   * this user for this purpose; else undefined. A challenge named for the wrong purpose is
   * spent all the same, as a wrong answer is.
   */
  async take(challengeId: string, username: string, purpose: ChallengePurpose): Promise<Buffer | undefined> {
    if (!ID_PATTERN.test(challengeId)) return undefined;
    const path = challengePath(username, challengeId);
    const opened = await this.deps.reader.get(path, 'challenge');
    if (!opened) return undefined;
    const record = JSON.parse(opened.plaintext.toString('utf8')) as ChallengeRecord;
    try {
      await this.deps.writer.commit({
        compares: [{ key: path, modRevision: opened.modRevision }],
        changes: [{ type: 'delete', path }],
        event: {
          actor: username,
          action: 'challenge.take',
          target: userPath(username),
          result: 'success',
          details: { purpose: record.purpose, challenge: challengeId },
        },
      });
    } catch (error) {
      // Taken by another request first (on this node or another): not this one's to use.
      if (isCofferError(error, 'CONFLICT')) return undefined;
      throw error;
    }
    if (record.purpose !== purpose || record.expiresAt <= this.now()) return undefined;
    return Buffer.from(record.bytes, 'base64');
  }

  /** Deletes expired challenges (any node may); a batch that loses a race is left for next time. */
  async sweep(): Promise<number> {
    const now = this.now();
    const expired = (await this.held(CHALLENGE_PREFIX)).filter((entry) => entry.record.expiresAt <= now);
    let swept = 0;
    for (let start = 0; start < expired.length; start += MAX_SWEPT_PER_COMMIT) {
      const batch = expired.slice(start, start + MAX_SWEPT_PER_COMMIT);
      try {
        await this.deps.writer.commit({
          compares: batch.map((entry) => ({ key: entry.path, modRevision: entry.modRevision })),
          changes: batch.map((entry): Change => ({ type: 'delete', path: entry.path })),
          event: {
            actor: 'system',
            action: 'challenge.expire',
            result: 'success',
            details: { challenges: batch.length },
          },
        });
        swept += batch.length;
      } catch (error) {
        if (!isCofferError(error, 'CONFLICT')) throw error;
      }
    }
    return swept;
  }

  private async held(prefix: string): Promise<Held[]> {
    const held: Held[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.page(prefix, 'challenge', {
        ...(after !== undefined && { after }),
        limit: 500,
      });
      for (const opened of page.records)
        held.push({
          path: opened.path,
          record: JSON.parse(opened.plaintext.toString('utf8')) as ChallengeRecord,
          modRevision: opened.modRevision,
        });
      if (!page.more || page.records.length === 0) return held;
      after = page.records.at(-1)!.path;
    }
  }
}
