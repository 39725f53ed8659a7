import type { Admission } from '../keys/key-use-gate.js';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import { MAX_QUORUM_VALUE } from './quorum-token.js';
import { keyQuorumPath, readKeyValues, type KeyQuorumValues } from './quorum-values.js';
import type { Session } from './sessions.js';

export interface KeyQuorumDeps {
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
}

/**
 * A key's own quorum values (CloudHSM's key-management and key-usage quorum): set by the owner,
 * each 1 to 8 and at most the owner plus the users the key is shared with. Lowering them while
 * the key-management value is above 1 takes that quorum's approval, like any management change.
 */
export class KeyQuorumService {
  constructor(private readonly deps: KeyQuorumDeps) {}

  async get({ record }: Admission): Promise<KeyQuorumValues & { handle: string }> {
    return { handle: record.handle, ...(await readKeyValues(this.deps.reader, record.handle)).values };
  }

  /** For a stored key the gate admitted for its owner. */
  async set(
    session: Session,
    admitted: Admission,
    requested: Partial<KeyQuorumValues>,
  ): Promise<KeyQuorumValues & { handle: string }> {
    const { record } = admitted;
    const event = { actor: session.username, action: 'key.set-quorum', target: `key/${record.handle}` };
    const refuse = async (code: CofferError['code'], detail: string): Promise<never> => {
      await this.deps.writer.commit({ event: { ...event, result: 'failure', code } });
      throw new CofferError(code, detail);
    };
    const { values, modRevision } = await readKeyValues(this.deps.reader, record.handle);
    const next: KeyQuorumValues = { ...values, ...requested };
    const users = 1 + record.sharedWith.length;
    for (const value of [next['key-management'], next['key-usage']]) {
      if (!Number.isInteger(value) || value < 1 || value > Math.min(MAX_QUORUM_VALUE, users))
        return refuse(
          'QUORUM_VALUE_INVALID',
          `1 to ${Math.min(MAX_QUORUM_VALUE, users)}: the owner and its shared users`,
        );
    }
    const plan = await admitted.approval();
    await this.deps.writer.commit({
      compares: [{ key: keyQuorumPath(record.handle), modRevision }, ...(plan?.compares ?? [])],
      changes: [
        {
          type: 'put',
          path: keyQuorumPath(record.handle),
          kind: 'key-quorum',
          plaintext: Buffer.from(JSON.stringify(next), 'utf8'),
        },
        ...(plan?.changes ?? []),
      ],
      event: {
        ...event,
        result: 'success',
        details: { management: next['key-management'], usage: next['key-usage'], ...plan?.details },
      },
    });
    return { handle: record.handle, ...next };
  }
}
