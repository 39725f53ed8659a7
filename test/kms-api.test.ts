import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  ListKeysCommand,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { startTestNode, type TestNode } from './support/test-node.js';
import { kmsCryptoUser, kmsError, type KmsUser } from './support/kms.js';

describe('the KMS-compatible API through the AWS SDK: keys and envelope encryption', () => {
  let t: TestNode;
  let alice: KmsUser;

  before(async () => {
    t = await startTestNode();
    alice = await kmsCryptoUser(t, 'alice');
  });
  after(async () => {
    alice?.client.destroy();
    await t?.stop();
  });

  test('CreateKey makes a symmetric key; DescribeKey and ListKeys see it', async () => {
    const created = await alice.client.send(new CreateKeyCommand({ Description: 'orders' }));
    const meta = created.KeyMetadata!;
    assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
    assert.equal(meta.KeyState, 'Enabled');
    assert.equal(meta.Description, 'orders');
    assert.match(meta.Arn!, /^arn:aws:kms:eu-west-1:\d{12}:key\/[0-9a-f-]{36}$/);
    assert.ok(meta.CreationDate instanceof Date);
    const described = await alice.client.send(new DescribeKeyCommand({ KeyId: meta.Arn }));
    assert.equal(described.KeyMetadata?.KeyId, meta.KeyId);
    const listed = await alice.client.send(new ListKeysCommand({}));
    assert.ok(listed.Keys?.some((key) => key.KeyId === meta.KeyId));
  });

  test('Encrypt and Decrypt round-trip with an encryption context; the blob names its key', async () => {
    const { KeyMetadata } = await alice.client.send(new CreateKeyCommand({}));
    const context = { tenant: 'acme', purpose: 'test' };
    const plaintext = Buffer.from('attack at dawn');
    const encrypted = await alice.client.send(
      new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: plaintext, EncryptionContext: context }),
    );
    assert.equal(encrypted.KeyId, KeyMetadata!.Arn);
    const decrypted = await alice.client.send(
      new DecryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: { purpose: 'test', tenant: 'acme' },
      }),
    );
    assert.equal(Buffer.from(decrypted.Plaintext!).toString(), 'attack at dawn');
    assert.equal(decrypted.KeyId, KeyMetadata!.Arn);
    assert.equal(
      await kmsError(
        alice.client.send(
          new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { tenant: 'acme' } }),
        ),
      ),
      'InvalidCiphertextException',
    );
    const blob = Buffer.from(encrypted.CiphertextBlob!);
    for (let index = 0; index < blob.length; index += 7) {
      const altered = Buffer.from(blob);
      altered[index]! ^= 0x01;
      assert.equal(
        await kmsError(alice.client.send(new DecryptCommand({ CiphertextBlob: altered, EncryptionContext: context }))),
        'InvalidCiphertextException',
        `byte ${index}`,
      );
    }
  });

  test('GenerateDataKey, WithoutPlaintext and ReEncrypt', async () => {
    const first = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!;
    const second = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!;
    const data = await alice.client.send(new GenerateDataKeyCommand({ KeyId: first.KeyId, KeySpec: 'AES_256' }));
    assert.equal(data.Plaintext?.length, 32);
    const opened = await alice.client.send(new DecryptCommand({ CiphertextBlob: data.CiphertextBlob }));
    assert.deepEqual(Buffer.from(opened.Plaintext!), Buffer.from(data.Plaintext!));
    const bare = await alice.client.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: first.KeyId, NumberOfBytes: 20 }),
    );
    assert.equal('Plaintext' in bare, false);
    const moved = await alice.client.send(
      new ReEncryptCommand({
        CiphertextBlob: data.CiphertextBlob,
        DestinationKeyId: second.KeyId,
        DestinationEncryptionContext: { a: 'b' },
      }),
    );
    assert.equal(moved.SourceKeyId, first.Arn);
    assert.equal(moved.KeyId, second.Arn);
    const reopened = await alice.client.send(
      new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { a: 'b' } }),
    );
    assert.deepEqual(Buffer.from(reopened.Plaintext!), Buffer.from(data.Plaintext!));
    assert.equal(
      await kmsError(
        alice.client.send(
          new DecryptCommand({
            CiphertextBlob: moved.CiphertextBlob,
            KeyId: first.KeyId,
            EncryptionContext: { a: 'b' },
          }),
        ),
      ),
      'IncorrectKeyException',
    );
  });
});
