import { createHash, randomBytes } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/**
 * Session-bound state: session keys, PKCS#11 session objects and multi-part operations. They
 * live only in the memory of the node that made them (never stored, never replicated), while
 * the login session they belong to lives in the store and is served by every node.
 *
 * Their ids carry a tag derived from the session's id, so a node asked by a session for one it
 * does not hold can tell "a session object of yours, held by another node (or lost with a
 * restart of the node that made it)" — SESSION_OBJECT_NOT_HERE — from "no such thing". Another
 * session's ids never match the tag, so the answer says nothing about other sessions.
 */
export interface SessionBound {
  /** The session ended (anywhere in the cluster): its state goes. */
  dropSession(sessionId: string): void;
  /** The node seals or stops: all of it goes. */
  dropAll(): void;
}

/** 3 bytes of tag, so an id made for another session matches by chance once in 2^24. */
const TAG_HEX = 6;

function tag(sessionId: string): string {
  return createHash('sha256').update('coffer-session-object\0').update(sessionId).digest('hex').slice(0, TAG_HEX);
}

/** A key or object handle for a session object: 0x, the session's tag, 5 random bytes. */
export function sessionObjectHandle(sessionId: string): string {
  for (;;) {
    const handle = `0x${tag(sessionId)}${randomBytes(5).toString('hex')}`;
    if (handle !== '0x0000000000000000') return handle;
  }
}

/** A multi-part operation id: the session's tag, then 13 random bytes (32 hex digits in all). */
export function sessionOperationId(sessionId: string): string {
  return tag(sessionId) + randomBytes(13).toString('hex');
}

/** Whether a handle (normalized, 0x…) or an operation id was made for this session. */
export function madeForSession(sessionId: string, id: string): boolean {
  const body = id.startsWith('0x') ? id.slice(2) : id;
  return body.slice(0, TAG_HEX) === tag(sessionId);
}

/** Why a session object of this session is refused here (no secret: the caller's own id). */
export function notHereDetail(what: string): string {
  return `${what} is a session object, held only by the node that made it; send this session's requests for it there`;
}

export function notHere(what: string): CofferError {
  return new CofferError('SESSION_OBJECT_NOT_HERE', notHereDetail(what));
}
