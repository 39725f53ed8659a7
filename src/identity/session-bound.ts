import { createHash, randomBytes } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/**
 * Session-bound state: session keys, PKCS#11 session objects and multi-part operations. They
 * live only in the memory of the node that made them (never stored, never replicated), while
 * the login session they belong to lives in the store and is served by every node.
 *
 * Their ids say whose and where from: a tag derived from the session's id, then a tag of the
 * node process that made them. A node asked by a session for an id of that session which
 * another node made answers SESSION_OBJECT_NOT_HERE; one it made itself and no longer holds
 * (deleted, ended) it answers as before (KEY_NOT_FOUND, OPERATION_NOT_INITIALIZED). Another
 * session's ids never match the session tag, so the answer says nothing about other sessions.
 */
export interface SessionBound {
  /** The session ended (anywhere in the cluster): its state goes. */
  dropSession(sessionId: string): void;
  /** The node seals or stops: all of it goes. */
  dropAll(): void;
}

/** Where an id a node does not hold comes from. */
export type Whereabouts = 'not-of-this-session' | 'made-here' | 'made-elsewhere';

/** Hex digits: the session tag (3 bytes: another session's id matches once in 2^24), the node's (2). */
const SESSION_TAG = 6;
const NODE_TAG = 4;

function sessionTag(sessionId: string): string {
  return createHash('sha256').update('coffer-session-object\0').update(sessionId).digest('hex').slice(0, SESSION_TAG);
}

/**
 * The ids of one node's session-bound state. The node tag is random per node process, so ids
 * made before a restart count as made elsewhere (they are gone either way); two nodes share a
 * tag once in 65536, and then report another's ids as gone rather than elsewhere.
 */
export class SessionObjectIds {
  private readonly node = randomBytes(NODE_TAG / 2).toString('hex');
  private readonly holders: ((handle: string) => boolean)[] = [];

  /** A holder of handles (session keys, session objects): a new handle is none of theirs. */
  holds(isHeld: (handle: string) => boolean): void {
    this.holders.push(isHeld);
  }

  /** A key or object handle: 0x, the session's tag, this node's, 3 random bytes not in use here. */
  handle(sessionId: string): string {
    const prefix = `0x${sessionTag(sessionId)}${this.node}`;
    for (;;) {
      const handle = prefix + randomBytes(3).toString('hex');
      if (handle !== '0x0000000000000000' && !this.holders.some((isHeld) => isHeld(handle))) return handle;
    }
  }

  /** A multi-part operation id: the two tags, then 11 random bytes (32 hex digits in all). */
  operationId(sessionId: string): string {
    return sessionTag(sessionId) + this.node + randomBytes(11).toString('hex');
  }

  /** For a handle (normalized, 0x…) or an operation id this node does not hold. */
  whereabouts(sessionId: string, id: string): Whereabouts {
    const body = id.startsWith('0x') ? id.slice(2) : id;
    if (body.slice(0, SESSION_TAG) !== sessionTag(sessionId)) return 'not-of-this-session';
    return body.slice(SESSION_TAG, SESSION_TAG + NODE_TAG) === this.node ? 'made-here' : 'made-elsewhere';
  }
}

/** Why a session object of this session is refused here (no secret: the caller's own id). */
export function notHereDetail(what: string): string {
  return `${what} is a session object, held only by the node that made it; send this session's requests for it there`;
}

export function notHere(what: string): CofferError {
  return new CofferError('SESSION_OBJECT_NOT_HERE', notHereDetail(what));
}
