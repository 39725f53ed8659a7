import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  VerifyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { startTestNode, type TestNode } from './support/test-node.js';
import { kmsCryptoUser, kmsError, type KmsUser } from './support/kms.js';

async function newKey(client: KMSClient, description = ''): Promise<{ KeyId: string; Arn: string }> {
  const meta = (await client.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!;
  return { KeyId: meta.KeyId!, Arn: meta.Arn! };
}

describe('the KMS-compatible API: state, deletion, aliases, tags, rotation, listing', () => {
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

  test('DisableKey stops use (DisabledException) and EnableKey brings it back; a pair disables both halves', async () => {
    const key = await newKey(alice.client);
    const encrypt = () => alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('p') }));
    const { CiphertextBlob } = await encrypt();
    await alice.client.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
      'Disabled',
    );
    assert.equal(await kmsError(encrypt()), 'DisabledException');
    assert.equal(await kmsError(alice.client.send(new DecryptCommand({ CiphertextBlob }))), 'DisabledException');
    await alice.client.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    await encrypt();

    const pair = (await alice.client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
      .KeyMetadata!;
    const message = Buffer.from('m');
    const { Signature } = await alice.client.send(
      new SignCommand({ KeyId: pair.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    await alice.client.send(new DisableKeyCommand({ KeyId: pair.KeyId }));
    assert.equal(
      await kmsError(
        alice.client.send(
          new VerifyCommand({ KeyId: pair.KeyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
        ),
      ),
      'DisabledException',
    );
  });

  test('ScheduleKeyDeletion: 7 to 30 days, the key unusable while pending; CancelKeyDeletion leaves it disabled', async () => {
    const key = await newKey(alice.client);
    const { CiphertextBlob } = await alice.client.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('p') }),
    );
    for (const days of [6, 31])
      assert.equal(
        await kmsError(
          alice.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: days })),
        ),
        'ValidationException',
        String(days),
      );
    const scheduled = await alice.client.send(
      new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }),
    );
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    assert.equal(scheduled.PendingWindowInDays, 7);
    const inDays = (scheduled.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    assert.ok(inDays > 6.9 && inDays <= 7, String(inDays));
    const described = (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    assert.equal(described.KeyState, 'PendingDeletion');
    assert.ok(described.DeletionDate instanceof Date);
    for (const name of await Promise.all(
      [
        alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('p') })),
        alice.client.send(new DecryptCommand({ CiphertextBlob })),
        alice.client.send(new EnableKeyCommand({ KeyId: key.KeyId })),
        alice.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId })),
      ].map(kmsError),
    ))
      assert.equal(name, 'KMSInvalidStateException');
    await alice.client.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
      'Disabled',
    );
    assert.equal(
      await kmsError(alice.client.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }))),
      'KMSInvalidStateException',
    );
    await alice.client.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    await alice.client.send(new DecryptCommand({ CiphertextBlob }));
  });

  test('aliases name keys everywhere a KeyId goes, by name or ARN; CreateAlias refuses a taken name', async () => {
    const first = await newKey(alice.client);
    const second = await newKey(alice.client);
    await alice.client.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: first.KeyId }));
    assert.equal(
      await kmsError(
        alice.client.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: second.KeyId })),
      ),
      'AlreadyExistsException',
    );
    for (const name of ['alias/aws/reserved', 'orders', 'alias/has space'])
      assert.equal(
        await kmsError(alice.client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: first.KeyId }))),
        'InvalidAliasNameException',
        name,
      );
    const described = (await alice.client.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }))).KeyMetadata!;
    assert.equal(described.KeyId, first.KeyId);
    const account = described.AWSAccountId!;
    const aliasArn = `arn:aws:kms:eu-west-1:${account}:alias/orders`;
    const encrypted = await alice.client.send(new EncryptCommand({ KeyId: aliasArn, Plaintext: Buffer.from('p') }));
    assert.equal(encrypted.KeyId, first.Arn);
    const listed = await alice.client.send(new ListAliasesCommand({ KeyId: first.KeyId }));
    assert.deepEqual(listed.Aliases, [{ AliasName: 'alias/orders', AliasArn: aliasArn, TargetKeyId: first.KeyId }]);
    await alice.client.send(new UpdateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: second.KeyId }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }))).KeyMetadata?.KeyId,
      second.KeyId,
    );
    // The ciphertext names its key: it decrypts under the alias's old key, not its new one.
    assert.equal(
      await kmsError(
        alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: 'alias/orders' })),
      ),
      'IncorrectKeyException',
    );
    await alice.client.send(new DeleteAliasCommand({ AliasName: 'alias/orders' }));
    assert.equal(
      await kmsError(alice.client.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }))),
      'NotFoundException',
    );
    assert.equal(
      await kmsError(
        alice.client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:000000000000:key/${first.KeyId}` })),
      ),
      'NotFoundException',
    );
  });

  test('tags and description: TagResource, ListResourceTags, UntagResource, UpdateKeyDescription', async () => {
    const key = await newKey(alice.client, 'before');
    await alice.client.send(
      new TagResourceCommand({
        KeyId: key.KeyId,
        Tags: [
          { TagKey: 'team', TagValue: 'payments' },
          { TagKey: 'env', TagValue: 'ci' },
        ],
      }),
    );
    await alice.client.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }] }));
    const tags = await alice.client.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(tags.Tags, [
      { TagKey: 'team', TagValue: 'payments' },
      { TagKey: 'env', TagValue: 'prod' },
    ]);
    await alice.client.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['team'] }));
    assert.deepEqual((await alice.client.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags, [
      { TagKey: 'env', TagValue: 'prod' },
    ]);
    assert.equal(
      await kmsError(
        alice.client.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })),
      ),
      'TagException',
    );
    await alice.client.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: 'after' }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description,
      'after',
    );
  });

  test('rotation: on demand keeps old ciphertexts decryptable and is listed; automatic rotation is configured', async () => {
    const key = await newKey(alice.client);
    const before = await alice.client.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 32 }));
    await alice.client.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    const afterRotation = await alice.client.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('new') }),
    );
    assert.notDeepEqual(
      Buffer.from(afterRotation.CiphertextBlob!).subarray(12, 16),
      Buffer.from(before.CiphertextBlob!).subarray(12, 16),
    );
    const opened = await alice.client.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
    assert.deepEqual(Buffer.from(opened.Plaintext!), Buffer.from(before.Plaintext!));
    const rotations = await alice.client.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
    assert.equal(rotations.Rotations?.length, 1);
    assert.equal(rotations.Rotations?.[0]?.RotationType, 'ON_DEMAND');
    assert.equal(
      (await alice.client.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled,
      false,
    );
    await alice.client.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    const status = await alice.client.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    assert.equal(status.KeyRotationEnabled, true);
    assert.equal(status.RotationPeriodInDays, 90);
    assert.ok(status.NextRotationDate instanceof Date);
    await alice.client.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
    assert.equal(
      (await alice.client.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled,
      false,
    );
    const asymmetric = (
      await alice.client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))
    ).KeyMetadata!;
    assert.equal(
      await kmsError(alice.client.send(new EnableKeyRotationCommand({ KeyId: asymmetric.KeyId }))),
      'UnsupportedOperationException',
    );
  });

  test('ListKeys pages with Limit and Marker through every KMS key, each once', async () => {
    const bob = await kmsCryptoUser(t, 'bob');
    try {
      const made = new Set<string>();
      for (let index = 0; index < 5; index++) made.add((await newKey(bob.client)).KeyId);
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await bob.client.send(new ListKeysCommand({ Limit: 2, ...(marker && { Marker: marker }) }));
        assert.ok((page.Keys?.length ?? 0) <= 2);
        seen.push(...(page.Keys ?? []).map((key) => key.KeyId!));
        marker = page.Truncated ? page.NextMarker : undefined;
        pages++;
      } while (marker);
      assert.deepEqual(new Set(seen), made);
      assert.equal(seen.length, 5);
      assert.ok(pages >= 3);
      assert.equal(
        await kmsError(bob.client.send(new ListKeysCommand({ Marker: 'not-a-marker' }))),
        'InvalidMarkerException',
      );
    } finally {
      bob.client.destroy();
    }
  });
});
