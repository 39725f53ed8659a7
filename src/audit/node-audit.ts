import type { Logger } from 'pino';
import type { Barrier } from '../barrier/barrier.js';
import type { RecordFreshness } from '../records/record-freshness.js';
import type { RecordReader } from '../records/record-reader.js';
import { RecordWriter } from '../records/record-writer.js';
import type { StateStore } from '../store/state-store.js';
import { AuditService } from './audit-service.js';
import { ChainAtUnseal } from './chain-at-unseal.js';
import { AuditKeyCheckpoints } from './checkpoint-signer.js';
import { CryptoUseAudit } from './crypto-use.js';
import { KeyUsageService } from './key-usage-service.js';
import { RefusalBudget } from './refusal-budget.js';
import { sealAwareWriter } from './seal-hook.js';
import { UsageCounters } from './usage-counters.js';

export interface AuditNodeOptions {
  /** Append an audit event for every crypto operation (`crypto.sign` …). Off by default. */
  readonly auditCryptoUse?: boolean;
  /** Sign a checkpoint every this many events (256 by default). */
  readonly auditCheckpointEvery?: number;
  /** Flush the per-key usage counters this often (10 s by default). */
  readonly usageFlushMs?: number;
}

export const DEFAULT_CHECKPOINT_EVERY = 256;
export const DEFAULT_USAGE_FLUSH_MS = 10_000;

/**
 * The audit parts of a node, wired once: the writer (with the checkpoint signer and the
 * freshness map the reader checks), the chain check at unseal, the usage counters and their
 * periodic flush, per-operation crypto logging, and the services the API reads through.
 */
export function wireAudit(deps: {
  readonly store: StateStore;
  readonly barrier: Barrier;
  readonly reader: RecordReader;
  /** The reader's freshness map: the writer keeps it, the chain check at unseal builds it. */
  readonly freshness: RecordFreshness;
  readonly nodeId: string;
  readonly clusterId: string;
  readonly logger: Logger;
  readonly options?: AuditNodeOptions;
  /** The node's clock: the refusal budget's windows are read from it. */
  readonly clock?: () => Date;
}) {
  const { store, barrier, reader, freshness, nodeId, logger, options = {} } = deps;
  const signer = new AuditKeyCheckpoints({ reader, barrier, nodeId });
  const writer = new RecordWriter(store, barrier, nodeId, undefined, {
    checkpoints: { every: options.auditCheckpointEvery ?? DEFAULT_CHECKPOINT_EVERY, signer },
    freshness,
  });
  const usage = new UsageCounters({ reader, writer, nodeId });
  const reportFlush = (error: unknown): void =>
    logger.warn({ err: error }, 'the key usage counters could not be flushed; they are kept for the next flush');
  const reportRefusals = (error: unknown): void =>
    logger.warn({ err: error }, 'a summary of suppressed refusals could not be written; it is kept for the next try');
  const refusals = new RefusalBudget({
    writer,
    onError: reportRefusals,
    ...(deps.clock && { clock: deps.clock }),
  });
  const flushWhileUnsealed = async (): Promise<void> => {
    if (!barrier.sealed) await usage.flush().catch(reportFlush);
  };
  const sweepWhileUnsealed = async (): Promise<void> => {
    if (!barrier.sealed) await refusals.sweep().catch(reportRefusals);
  };
  let timer: NodeJS.Timeout | undefined;
  let refusalTimer: NodeJS.Timeout | undefined;
  return {
    writer,
    usage,
    cryptoUse: new CryptoUseAudit(usage, writer, options.auditCryptoUse === true),
    /** Refusals of requests without a valid credential, audited under a per-source budget. */
    refusals,
    /** For the cluster service: flushes and signs a checkpoint at seal. */
    clusterWriter: sealAwareWriter(writer, signer, [
      () => usage.flush().catch(reportFlush),
      () => refusals.flush().catch(reportRefusals),
    ]),
    /** For the cluster service: verifies the chain against the store at every unseal. */
    chain: new ChainAtUnseal({ store, barrier, freshness }),
    audit: new AuditService({ clusterId: deps.clusterId, reader, writer, signer }),
    keyUsage: new KeyUsageService({ usage }),
    start(): void {
      const every = options.usageFlushMs ?? DEFAULT_USAGE_FLUSH_MS;
      timer = setInterval(() => void flushWhileUnsealed(), every).unref();
      refusalTimer = setInterval(() => void sweepWhileUnsealed(), refusals.rules.sweepMs).unref();
    },
    /** At close: the last flush (counters and refusal summaries), then no more. */
    async stop(): Promise<void> {
      clearInterval(timer);
      clearInterval(refusalTimer);
      await flushWhileUnsealed();
      if (!barrier.sealed) await refusals.flush().catch(reportRefusals);
    },
  };
}
