import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
} from '@aws-sdk/client-kms';
import { startTestNode, type TestNode } from './support/test-node.js';
import { kmsCryptoUser, kmsError, type KmsUser } from './support/kms.js';

/** Calls of each data-plane operation per check: enough that a write per call cannot hide. */
const CALLS = 12;

/**
 * A KMS data-plane call (Encrypt, Decrypt, the data keys) commits nothing to the store: every
 * commit carries an audit event, so an unchanged audit head means no transaction. A write per
 * call would put every request behind a commit (and an fsync), and every commit that touches
 * the same record behind the one before it. Use counts are kept in memory and flushed on their
 * own schedule (set past the test here); per-use audit logging, when on, is the documented
 * exception. A refusal is still audited: the check below sees it move the head by one.
 */
describe('the KMS-compatible API: data-plane calls write nothing to the store', () => {
  let t: TestNode;
  let alice: KmsUser;
  let adminToken: string;
  let keyId: string;

  const headSeq = async (): Promise<number> => {
    const answer = await t.api.call<{ seq: number }>('GET', '/v1/audit/head', { token: adminToken });
    assert.equal(answer.status, 200, answer.text);
    return answer.body.seq;
  };

  before(async () => {
    t = await startTestNode({ audit: { usageFlushMs: 3_600_000 } });
    alice = await kmsCryptoUser(t, 'alice');
    adminToken = await t.api.login('admin', t.adminPassword);
    keyId = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  });
  after(async () => {
    alice?.client.destroy();
    await t?.stop();
  });

  test('Encrypt, Decrypt and GenerateDataKey leave the audit head where it was', async () => {
    const context = { tenant: 'acme' };
    // One of each first, so nothing done once per key or per access key is counted below.
    const warm = await alice.client.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('warm'), EncryptionContext: context }),
    );
    await alice.client.send(new DecryptCommand({ CiphertextBlob: warm.CiphertextBlob, EncryptionContext: context }));
    const before = await headSeq();
    assert.equal(await headSeq(), before, 'reading the head writes nothing');
    for (let index = 0; index < CALLS; index++) {
      const encrypted = await alice.client.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.alloc(1024, index), EncryptionContext: context }),
      );
      const decrypted = await alice.client.send(
        new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
      );
      assert.deepEqual(Buffer.from(decrypted.Plaintext!), Buffer.alloc(1024, index));
      const dataKey = await alice.client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      assert.equal(dataKey.Plaintext?.length, 32);
      await alice.client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 16 }));
    }
    assert.equal(await headSeq(), before, `${CALLS * 4} data-plane calls committed nothing`);
  });

  test('a refused data-plane call is still audited: the head moves by exactly one', async () => {
    const before = await headSeq();
    const refused = await kmsError(
      alice.client.send(new EncryptCommand({ KeyId: 'alias/no-such-alias', Plaintext: Buffer.from('x') })),
    );
    assert.equal(refused, 'NotFoundException');
    assert.equal(await headSeq(), before + 1);
  });
});
