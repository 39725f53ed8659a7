/**
 * The ephemeral keys a peer has answered recently: a request replayed with the same key is
 * refused. (A replayed answer would open only with the requester's ephemeral private key,
 * which never left its memory; refusing the request too keeps the peer from sealing its root
 * key to the same key twice.) In memory, bounded: the oldest go first, and after the window a
 * key would be useless anyway, its private half long gone.
 */
import { createHash } from 'node:crypto';

const WINDOW_MS = 10 * 60_000;
const MAX_KEYS = 10_000;

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True the first time `key` is seen within the window; false for a replay. */
  first(key: Buffer): boolean {
    const now = this.now();
    for (const [known, at] of this.seen) {
      if (at > now - WINDOW_MS && this.seen.size < MAX_KEYS) break;
      this.seen.delete(known);
    }
    const id = createHash('sha256').update(key).digest('base64url');
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}
