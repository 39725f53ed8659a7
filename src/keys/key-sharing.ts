import { normalizeUsername } from '../identity/credential-rules.js';
import type { Role } from '../identity/roles.js';
import type { Session } from '../identity/sessions.js';
import { decodeUser, userPath } from '../identity/user-record.js';
import type { KeyRecord } from '../objects/key-record.js';
import type { RecordReader } from '../records/record-reader.js';
import { commitKeyChange, refuseAudited, type KeyAdminDeps } from './key-attributes.js';
import type { Admission } from './key-use-gate.js';

/** CloudHSM's limit on the users a key may be shared with (besides its owner). */
export const MAX_SHARED_USERS = 31;

/** The one thing sharing asks of the user store: a user's role, if the user exists. */
export type RoleLookup = (username: string) => Promise<Role | undefined>;

/** A RoleLookup over the sealed user records (one record read). */
export function roleLookup(reader: Pick<RecordReader, 'get'>): RoleLookup {
  return async (username) => {
    const opened = await reader.get(userPath(username), 'user');
    return opened && decodeUser(opened.plaintext).role;
  };
}

export interface KeySharingDeps extends KeyAdminDeps {
  readonly roleOf: RoleLookup;
}

/**
 * `key share` / `key unshare` (the gate admitted the owner, for a stored key): the owner lets other crypto users use a key (they see it, list
 * it and use it, but cannot manage it). Only existing crypto users, never the owner itself,
 * at most MAX_SHARED_USERS. Each shared user gets an index entry idx/key-shared/<user>/<handle>
 * (kept by the repository with the record), so a user's listing is an index read.
 */
export class KeySharingService {
  private readonly clock: () => Date;

  constructor(private readonly deps: KeySharingDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async share(session: Session, admitted: Admission, usernameInput: string): Promise<KeyRecord> {
    const { record } = admitted;
    const event = this.event(session, 'key.share', record);
    const username = normalizeUsername(usernameInput);
    if (username === record.owner)
      await refuseAudited(this.deps.writer, event, 'KEY_SHARE_INVALID', 'a key is not shared with its owner');
    const role = await this.deps.roleOf(username);
    if (role === undefined) await refuseAudited(this.deps.writer, event, 'USER_NOT_FOUND', username);
    if (role !== 'crypto-user')
      await refuseAudited(this.deps.writer, event, 'KEY_SHARE_INVALID', 'keys are shared only with crypto users');
    if (record.sharedWith.includes(username)) return record;
    if (record.sharedWith.length >= MAX_SHARED_USERS)
      await refuseAudited(this.deps.writer, event, 'KEY_SHARE_LIMIT', `at most ${MAX_SHARED_USERS} users`);
    const sharedWith = [...record.sharedWith, username].sort();
    return this.save(admitted, sharedWith, { ...event, details: { username } });
  }

  /** Unsharing a user the key is not shared with changes nothing (and needs no such user). */
  async unshare(session: Session, admitted: Admission, usernameInput: string): Promise<KeyRecord> {
    const username = normalizeUsername(usernameInput);
    if (!admitted.record.sharedWith.includes(username)) return admitted.record;
    const sharedWith = admitted.record.sharedWith.filter((user) => user !== username);
    return this.save(admitted, sharedWith, {
      ...this.event(session, 'key.unshare', admitted.record),
      details: { username },
    });
  }

  /** Under the key-management quorum, as every change of who may use a key. */
  private async save(
    admitted: Admission,
    sharedWith: string[],
    event: Parameters<typeof commitKeyChange>[3],
  ): Promise<KeyRecord> {
    const next: KeyRecord = { ...admitted.record, sharedWith, updatedAt: this.clock().toISOString() };
    await commitKeyChange(this.deps, admitted, next, event);
    return next;
  }

  private event(session: Session, action: string, record: KeyRecord) {
    return { actor: session.username, action, target: `key/${record.handle}` };
  }
}
