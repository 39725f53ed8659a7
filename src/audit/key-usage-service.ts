import type { Admission } from '../keys/key-use-gate.js';
import type { KeyUsage, UsageCounters } from './usage-counters.js';

/**
 * `GET /v1/keys/:handle/usage`: a key's use count, summed over nodes; for its owner or an admin
 * (the key-use gate admits only them).
 */
export class KeyUsageService {
  constructor(private readonly deps: { readonly usage: Pick<UsageCounters, 'usageOf'> }) {}

  async usage({ record }: Admission): Promise<KeyUsage> {
    return this.deps.usage.usageOf(record.handle);
  }
}
