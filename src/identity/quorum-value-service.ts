import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { QuorumService } from './quorum-service.js';
import { MAX_QUORUM_VALUE, type ClusterQuorumService } from './quorum-token.js';
import {
  QUORUM_VALUES_PATH,
  clusterValuesConsistent,
  readClusterValues,
  type ClusterQuorumValues,
} from './quorum-values.js';
import type { Session } from './sessions.js';
import { USER_PREFIX, decodeUser } from './user-record.js';

export interface QuorumValueDeps {
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly quorum: Pick<QuorumService, 'approve'>;
}

/**
 * `quorum token-sign set-quorum-value` (admin): M from 1 to 8 per cluster service, never more
 * than the admins who can approve (those with a quorum key), the user value below the quorum
 * value while above 1; under the `quorum` service's own approval when its value is above 1.
 */
export class QuorumValueService {
  constructor(private readonly deps: QuorumValueDeps) {}

  async get(): Promise<ClusterQuorumValues> {
    return (await readClusterValues(this.deps.reader)).values;
  }

  async set(session: Session, service: ClusterQuorumService, value: number): Promise<ClusterQuorumValues> {
    const event = { actor: session.username, action: 'quorum.set-value', target: `quorum/service/${service}` };
    const { values, modRevision } = await readClusterValues(this.deps.reader);
    const next = { ...values, [service]: value };
    const problem = await this.problem(next, value);
    if (problem !== undefined) {
      await this.deps.writer.commit({
        event: { ...event, result: 'failure', code: 'QUORUM_VALUE_INVALID', details: { value } },
      });
      throw new CofferError('QUORUM_VALUE_INVALID', problem);
    }
    const plan = await this.deps.quorum.approve(session, 'quorum');
    await this.deps.writer.commit({
      compares: [{ key: QUORUM_VALUES_PATH, modRevision }, ...(plan?.compares ?? [])],
      changes: [
        {
          type: 'put',
          path: QUORUM_VALUES_PATH,
          kind: 'quorum-values',
          plaintext: Buffer.from(JSON.stringify(next), 'utf8'),
        },
        ...(plan?.changes ?? []),
      ],
      event: { ...event, result: 'success', details: { value, previous: values[service], ...plan?.details } },
    });
    return next;
  }

  private async problem(next: ClusterQuorumValues, value: number): Promise<string | undefined> {
    if (!Number.isInteger(value) || value < 1 || value > MAX_QUORUM_VALUE) return `${value} is not 1 to 8`;
    if (!clusterValuesConsistent(next))
      return `the user value (${next.user}) must stay below the quorum value (${next.quorum})`;
    const approvers = await this.adminApprovers();
    if (value > 1 && value > approvers)
      return `only ${approvers} admin(s) have a quorum key registered: ${value} approvals could never be given`;
    return undefined;
  }

  private async adminApprovers(): Promise<number> {
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.reader.page(USER_PREFIX, 'user', { after, limit: 500 });
      for (const record of page.records) {
        const user = decodeUser(record.plaintext);
        if (user.role === 'admin' && user.quorumKey) count++;
      }
      if (!page.more || page.records.length === 0) return count;
      after = page.records.at(-1)!.path;
    }
  }
}
