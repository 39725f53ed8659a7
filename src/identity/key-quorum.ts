import type { LoadedKey } from '../keys/key-repository.js';
import { CofferError } from '../errors/coffer-error.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import type { QuorumService } from './quorum-service.js';
import { MAX_QUORUM_VALUE } from './quorum-token.js';
import { keyQuorumPath, readKeyValues, type KeyQuorumValues } from './quorum-values.js';
import type { Session } from './sessions.js';

export interface KeyQuorumDeps {
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly keys: { visible(session: Session, handleInput: string): Promise<LoadedKey> };
  readonly quorum: Pick<QuorumService, 'approve'>;
}

/**
 * A key's own quorum values (CloudHSM's key-management and key-usage quorum): set by the owner,
 * each 1 to 8 and at most the owner plus the users the key is shared with. Lowering them while
 * the key-management value is above 1 takes that quorum's approval, like any management change.
 */
export class KeyQuorumService {
  constructor(private readonly deps: KeyQuorumDeps) {}

  async get(session: Session, handleInput: string): Promise<KeyQuorumValues & { handle: string }> {
    const { record } = await this.deps.keys.visible(session, handleInput);
    return { handle: record.handle, ...(await readKeyValues(this.deps.reader, record.handle)).values };
  }

  async set(
    session: Session,
    handleInput: string,
    requested: Partial<KeyQuorumValues>,
  ): Promise<KeyQuorumValues & { handle: string }> {
    const { record } = await this.deps.keys.visible(session, handleInput);
    const event = { actor: session.username, action: 'key.set-quorum', target: `key/${record.handle}` };
    const refuse = async (code: CofferError['code'], detail: string): Promise<never> => {
      await this.deps.writer.commit({ event: { ...event, result: 'failure', code } });
      throw new CofferError(code, detail);
    };
    if (record.owner !== session.username) return refuse('PERMISSION_DENIED', 'only the owner sets quorum values');
    if (record.attributes.token === false) return refuse('KEY_FUNCTION_NOT_PERMITTED', 'session keys have no quorum');
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
    const plan = await this.deps.quorum.approve(session, 'key-management', record);
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
