import { CofferError } from '../errors/coffer-error.js';
import { SessionObjectIds, type SessionBound } from '../identity/session-bound.js';
import type { LoadedKey } from './key-repository.js';

/**
 * Session keys (CKA_TOKEN false): held only in this node's memory, never stored or replicated,
 * visible only to the login session that made them, and dropped when it ends (on any node).
 */
export class SessionKeys implements SessionBound {
  private readonly keys = new Map<string, { readonly loaded: LoadedKey; readonly sessionId: string }>();

  /** The node's session-bound ids, shared with the other holders (session-bound.ts). */
  constructor(readonly ids: SessionObjectIds = new SessionObjectIds()) {
    ids.holds((handle) => this.keys.has(handle));
  }

  /** A handle for a new session key of `sessionId`. */
  newHandle(sessionId: string): string {
    return this.ids.handle(sessionId);
  }

  /** Whether a handle this node does not hold names a session key another node made for this session. */
  heldElsewhere(sessionId: string, handle: string): boolean {
    return !this.keys.has(handle) && this.ids.whereabouts(sessionId, handle) === 'made-elsewhere';
  }

  add(sessionId: string, loaded: LoadedKey): void {
    // A handle is never reused for another key (new handles avoid held ones; this is the guard).
    if (this.keys.has(loaded.record.handle)) throw new CofferError('CONFLICT', 'handle in use; generate again');
    this.keys.set(loaded.record.handle, { loaded, sessionId });
  }

  get(handle: string): { readonly loaded: LoadedKey; readonly sessionId: string } | undefined {
    return this.keys.get(handle);
  }

  /**
   * A changed record of a session key (attributes): same material, same session, and only if
   * the record is still the one the change was decided on — else false (a concurrent change won).
   */
  replace(previous: LoadedKey['record'], record: LoadedKey['record']): boolean {
    const entry = this.keys.get(record.handle);
    if (!entry || entry.loaded.record !== previous) return false;
    this.keys.set(record.handle, { ...entry, loaded: { ...entry.loaded, record } });
    return true;
  }

  remove(handle: string): void {
    this.keys.delete(handle);
  }

  ofSession(sessionId: string): LoadedKey[] {
    return [...this.keys.values()].filter((entry) => entry.sessionId === sessionId).map((entry) => entry.loaded);
  }

  dropSession(sessionId: string): void {
    for (const [handle, entry] of this.keys) if (entry.sessionId === sessionId) this.keys.delete(handle);
  }

  dropAll(): void {
    this.keys.clear();
  }
}
