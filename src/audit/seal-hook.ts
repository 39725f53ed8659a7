import type { CheckpointSigner } from '../records/checkpoint-signer.js';
import type { Commit, RecordWriter } from '../records/record-writer.js';
import type { AuditEvent } from './audit-event.js';
import type { UsageCounters } from './usage-counters.js';

/**
 * The writer the cluster service commits through. At seal (the `cluster.seal` event) it first
 * flushes the usage counters, then commits the seal event with a signed checkpoint, and then
 * drops the audit private key from memory: a sealed node holds no key.
 */
export function sealAwareWriter(
  writer: Pick<RecordWriter, 'commit'>,
  signer: Pick<CheckpointSigner, 'forget'>,
  usage: Pick<UsageCounters, 'flush'>,
  onFlushError: (error: unknown) => void,
): Pick<RecordWriter, 'commit'> {
  return {
    async commit(commit: Commit): Promise<AuditEvent> {
      if (commit.event.action !== 'cluster.seal') return writer.commit(commit);
      // Sealing must stay possible: a failed flush is reported, its counts stay in memory.
      await usage.flush().catch(onFlushError);
      const event = await writer.commit({ ...commit, checkpoint: true });
      signer.forget();
      return event;
    },
  };
}
