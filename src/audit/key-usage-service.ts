import { CofferError } from '../errors/coffer-error.js';
import type { Session } from '../identity/sessions.js';
import type { KeyService } from '../keys/key-service.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { KeyUsage, UsageCounters } from './usage-counters.js';

/** `GET /v1/keys/:handle/usage`: a key's use count, summed over nodes; for its owner or an admin. */
export class KeyUsageService {
  constructor(
    private readonly deps: {
      readonly keys: Pick<KeyService, 'visible'>;
      readonly usage: Pick<UsageCounters, 'usageOf'>;
      readonly writer: Pick<RecordWriter, 'commit'>;
    },
  ) {}

  async usage(session: Session, handleInput: string): Promise<KeyUsage> {
    const { record } = await this.deps.keys.visible(session, handleInput);
    if (session.role !== 'admin' && record.owner !== session.username) {
      await this.deps.writer.commit({
        event: {
          actor: session.username,
          action: 'key.read-usage',
          target: `key/${record.handle}`,
          result: 'failure',
          code: 'PERMISSION_DENIED',
        },
      });
      throw new CofferError('PERMISSION_DENIED', 'only the owner or an admin may read a key’s usage');
    }
    return this.deps.usage.usageOf(record.handle);
  }
}
