import type { Barrier } from '../barrier/barrier.js';
import { recordHeader } from '../barrier/sealed-record.js';
import { CofferError } from '../errors/coffer-error.js';
import {
  AUDIT_EVENT_PREFIX,
  AUDIT_HEAD_PATH,
  GENESIS_HASH,
  auditEventPath,
  type AuditEvent,
  type AuditHead,
} from '../records/audit-chain.js';
import type { RecordFreshness } from '../records/record-freshness.js';
import { MAX_RANGE_LIMIT, type StateStore } from '../store/state-store.js';
import { AUDIT_CHECKPOINT_PREFIX, checkpointPath } from './checkpoint.js';

export interface ChainCheckDeps {
  readonly store: Pick<StateStore, 'get' | 'range'>;
  readonly barrier: Pick<Barrier, 'openRecord'>;
  readonly freshness: Pick<RecordFreshness, 'load' | 'clear'>;
}

/**
 * At every unseal, before the node serves: the audit chain must match the store, and it then
 * says which sealed value of every path is current (the freshness map the reader checks).
 *
 *   | found                                                   | refused with        |
 *   |---------------------------------------------------------|---------------------|
 *   | no audit head (init always writes the first event)     | AUDIT_HEAD_MISSING  |
 *   | an event, a checkpoint or a record with a seq past head | AUDIT_HEAD_STALE    |
 *   | a gap, a broken link, or a head the chain does not end at| AUDIT_CHAIN_BROKEN |
 *
 * Every read is at the head's store revision: the other nodes of a cluster keep appending while
 * this one unseals, and events or records written after the head was read are not past it.
 *
 * One walk of the events (O(events), no hashing: each event is authenticated by the barrier,
 * so its links are compared, not recomputed) and one of the records' headers (O(records), no
 * decryption: a header can only make the node refuse, never accept).
 */
export class ChainAtUnseal {
  constructor(private readonly deps: ChainCheckDeps) {}

  async verify(): Promise<void> {
    const { head, revision } = await this.head();
    const writes = await this.walkEvents(head, revision);
    await this.nothingPast(head.seq, revision);
    this.deps.freshness.load(writes, head.seq);
  }

  /** At seal: the map goes with the keys, and is rebuilt at the next unseal. */
  clear(): void {
    this.deps.freshness.clear();
  }

  /** The head, and the store revision it was read at (a range: a get says no revision). */
  private async head(): Promise<{ head: AuditHead; revision: number }> {
    const page = await this.deps.store.range(AUDIT_HEAD_PATH, { limit: 1 });
    const entry = page.entries.find((candidate) => candidate.key === AUDIT_HEAD_PATH);
    if (!entry) throw new CofferError('AUDIT_HEAD_MISSING', 'the store holds no audit head');
    const plaintext = this.deps.barrier.openRecord(AUDIT_HEAD_PATH, 'audit-head', entry.value);
    return { head: JSON.parse(plaintext.toString('utf8')) as AuditHead, revision: page.revision };
  }

  /** Each live path's last write, from the events the chain holds up to the head. */
  private async walkEvents(head: AuditHead, revision: number): Promise<Map<string, number>> {
    const writes = new Map<string, number>();
    let last = { seq: 0, hash: GENESIS_HASH };
    for await (const entry of this.entries(AUDIT_EVENT_PREFIX, revision)) {
      const event = JSON.parse(
        this.deps.barrier.openRecord(entry.key, 'audit-event', entry.value).toString('utf8'),
      ) as AuditEvent;
      if (event.seq > head.seq) throw stale(`event ${event.seq} is past the head (seq ${head.seq})`);
      if (entry.key !== auditEventPath(last.seq + 1) || event.seq !== last.seq + 1 || event.prevHash !== last.hash)
        throw new CofferError('AUDIT_CHAIN_BROKEN', `at seq ${last.seq + 1}`);
      for (const path of event.put ?? []) writes.set(path, event.seq);
      for (const path of event.deleted ?? []) writes.delete(path);
      last = event;
    }
    if (last.seq !== head.seq || last.hash !== head.hash)
      throw new CofferError('AUDIT_CHAIN_BROKEN', `the head names seq ${head.seq}, the chain ends at seq ${last.seq}`);
    return writes;
  }

  /** No checkpoint and no record written after the head: else the head was put back. */
  private async nothingPast(seq: number, revision: number): Promise<void> {
    const later = await this.deps.store.range(AUDIT_CHECKPOINT_PREFIX, {
      after: checkpointPath(seq),
      limit: 1,
      revision,
    });
    if (later.entries.length > 0) throw stale(`a checkpoint is past the head (seq ${seq})`);
    for await (const entry of this.entries('', revision)) {
      // Index entries hold no value; a record whose header cannot be read is refused when read.
      if (entry.value.length === 0) continue;
      let written: number;
      try {
        written = recordHeader(entry.key, entry.value).seq;
      } catch {
        continue;
      }
      if (written > seq) throw stale(`record ${entry.key} was written at seq ${written}, past the head (seq ${seq})`);
    }
  }

  private async *entries(prefix: string, revision: number) {
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.range(prefix, { after, limit: MAX_RANGE_LIMIT, revision });
      yield* page.entries;
      if (!page.more || page.entries.length === 0) return;
      after = page.entries[page.entries.length - 1]!.key;
    }
  }
}

function stale(detail: string): CofferError {
  return new CofferError('AUDIT_HEAD_STALE', detail);
}
