import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildClient, CommitmentPolicy, getClient, KmsKeyringNode } from '@aws-crypto/client-node';
import { CreateKeyCommand, KMS } from '@aws-sdk/client-kms';
import { kmsClientConfig, kmsCryptoUser, type KmsUser } from './support/kms.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

describe('the AWS Encryption SDK for JavaScript, its KMS keyring pointed at Coffer', () => {
  let t: TestNode;
  let alice: KmsUser;
  let bob: KmsUser;

  before(async () => {
    t = await startTestNode();
    alice = await kmsCryptoUser(t, 'alice');
    bob = await kmsCryptoUser(t, 'bob');
  });
  after(async () => {
    alice?.client.destroy();
    bob?.client.destroy();
    await t?.stop();
  });

  test('envelope encryption round trip: GenerateDataKey, Encrypt for a second key, Decrypt with either', async () => {
    const generator = (await alice.client.send(new CreateKeyCommand({ Description: 'esdk generator' }))).KeyMetadata!
      .Arn!;
    const second = (await alice.client.send(new CreateKeyCommand({ Description: 'esdk second' }))).KeyMetadata!.Arn!;
    const clientProvider = getClient(KMS, await kmsClientConfig(t, alice));
    const keyring = new KmsKeyringNode({ generatorKeyId: generator, keyIds: [second], clientProvider });
    const plaintext = Buffer.from('an application record, '.repeat(100));
    const encryptionContext = { tenant: 'acme', table: 'orders' };
    const { result, messageHeader } = await encrypt(keyring, plaintext, { encryptionContext });
    assert.equal(messageHeader.encryptedDataKeys.length, 2);
    assert.deepEqual(
      messageHeader.encryptedDataKeys.map((key) => key.providerInfo),
      [generator, second],
    );
    const opened = await decrypt(keyring, result);
    assert.deepEqual(opened.plaintext, plaintext);
    assert.equal(opened.messageHeader.encryptionContext.tenant, 'acme');

    // Either key alone opens the message: the keyring of the second key only.
    const secondOnly = new KmsKeyringNode({ keyIds: [second], clientProvider });
    assert.deepEqual((await decrypt(secondOnly, result)).plaintext, plaintext);

    // Another user's credentials open nothing: its keyring finds no data key it may decrypt.
    const bobs = new KmsKeyringNode({
      keyIds: [generator, second],
      clientProvider: getClient(KMS, await kmsClientConfig(t, bob)),
    });
    await assert.rejects(decrypt(bobs, result));

    // A changed byte of the message is refused.
    const altered = Buffer.from(result);
    altered[altered.length - 40]! ^= 1;
    await assert.rejects(decrypt(keyring, altered));
  });
});
