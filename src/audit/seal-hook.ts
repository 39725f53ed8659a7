import type { CheckpointSigner } from '../records/checkpoint-signer.js';
import type { Commit, RecordWriter } from '../records/record-writer.js';
import type { AuditEvent } from './audit-event.js';

/**
 * The writer the cluster service commits through. At seal (the `cluster.seal` event) it first
 * writes what the node holds in memory for the log (the usage counters, the summaries of
 * suppressed refusals), then commits the seal event with a signed checkpoint, and then drops
 * the audit private key from memory: a sealed node holds no key.
 */
export function sealAwareWriter(
  writer: Pick<RecordWriter, 'commit'>,
  signer: Pick<CheckpointSigner, 'forget'>,
  /** Each writes its part and reports its own failure: sealing must stay possible, what failed stays in memory. */
  flushes: readonly (() => Promise<void>)[],
): Pick<RecordWriter, 'commit'> {
  return {
    async commit(commit: Commit): Promise<AuditEvent> {
      if (commit.event.action !== 'cluster.seal') return writer.commit(commit);
      for (const flush of flushes) await flush();
      const event = await writer.commit({ ...commit, checkpoint: true });
      signer.forget();
      return event;
    },
  };
}
