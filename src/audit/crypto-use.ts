import type { AuditEventInput } from '../records/audit-chain.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { UsageCounters } from './usage-counters.js';

export interface CryptoUse {
  readonly actor: string;
  /** encrypt, decrypt, sign, verify, wrap, unwrap, derive. */
  readonly operation: string;
  readonly handle: string;
  readonly mechanism: string;
  /** The way in's context for the event (the XKS request metadata). */
  readonly details?: AuditEventInput['details'];
}

/**
 * What happens when a key is used, after every check passed and before the mechanism runs:
 * the use is counted (in memory), and — with per-operation logging on — an audit event
 * `crypto.<operation>` is appended first. Logging is forced audit: when the event cannot be
 * appended, the operation fails and the key is not used.
 */
export class CryptoUseAudit {
  constructor(
    private readonly counters: Pick<UsageCounters, 'count'>,
    private readonly writer: Pick<RecordWriter, 'commit'>,
    private readonly logEachUse: boolean,
  ) {}

  get logging(): boolean {
    return this.logEachUse;
  }

  async used(use: CryptoUse): Promise<void> {
    if (this.logEachUse) {
      await this.writer.commit({
        event: {
          actor: use.actor,
          action: `crypto.${use.operation}`,
          target: `key/${use.handle}`,
          result: 'success',
          details: { ...use.details, mechanism: use.mechanism },
        },
      });
    }
    this.counters.count(use.handle, use.operation);
  }
}
