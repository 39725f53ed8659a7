import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ImportKeyMaterialCommand,
  ListGrantsCommand,
  ListKeysCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { auditEvents } from './support/audit-events.js';
import { codeOf } from './support/api.js';
import {
  createAccessKey,
  kmsAdmin,
  kmsClient,
  kmsCryptoUser,
  kmsError,
  TEST_REGION,
  type KmsUser,
} from './support/kms.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const plaintext = Buffer.from('secret data');

describe('the KMS-compatible API refuses what a caller may not do', () => {
  let t: TestNode;
  let alice: KmsUser;
  let bob: KmsUser;
  let admin: KmsUser;
  let aliceKey: { KeyId: string; Arn: string };
  let aliceBlob: Uint8Array;
  const clients: KMSClient[] = [];

  before(async () => {
    t = await startTestNode();
    alice = await kmsCryptoUser(t, 'alice');
    bob = await kmsCryptoUser(t, 'bob');
    admin = await kmsAdmin(t);
    clients.push(alice.client, bob.client, admin.client);
    const meta = (await alice.client.send(new CreateKeyCommand({ Description: 'alice' }))).KeyMetadata!;
    aliceKey = { KeyId: meta.KeyId!, Arn: meta.Arn! };
    await alice.client.send(new CreateAliasCommand({ AliasName: 'alias/alice-key', TargetKeyId: aliceKey.KeyId }));
    aliceBlob = (await alice.client.send(new EncryptCommand({ KeyId: aliceKey.KeyId, Plaintext: plaintext })))
      .CiphertextBlob!;
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await t?.stop();
  });

  test('another user can neither see nor use a key not shared or granted to it, by any name', async () => {
    for (const keyId of [aliceKey.KeyId, aliceKey.Arn, 'alias/alice-key']) {
      assert.equal(
        await kmsError(bob.client.send(new DescribeKeyCommand({ KeyId: keyId }))),
        'NotFoundException',
        keyId,
      );
      assert.equal(
        await kmsError(bob.client.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }))),
        'NotFoundException',
        keyId,
      );
    }
    // The blob names alice's key; to bob it is a ciphertext he cannot open, whatever it names.
    assert.equal(
      await kmsError(bob.client.send(new DecryptCommand({ CiphertextBlob: aliceBlob }))),
      'InvalidCiphertextException',
    );
    for (const name of await Promise.all(
      [
        bob.client.send(new DisableKeyCommand({ KeyId: aliceKey.KeyId })),
        bob.client.send(new ScheduleKeyDeletionCommand({ KeyId: aliceKey.KeyId })),
        bob.client.send(
          new CreateGrantCommand({ KeyId: aliceKey.KeyId, GranteePrincipal: 'bob', Operations: ['Decrypt'] }),
        ),
      ].map(kmsError),
    ))
      assert.equal(name, 'NotFoundException');
    const listed = await bob.client.send(new ListKeysCommand({}));
    assert.equal(
      listed.Keys?.some((key) => key.KeyId === aliceKey.KeyId),
      false,
    );
  });

  test('an admin sees keys but cannot use or make them through KMS', async () => {
    const described = await admin.client.send(new DescribeKeyCommand({ KeyId: aliceKey.KeyId }));
    assert.equal(described.KeyMetadata?.KeyId, aliceKey.KeyId);
    for (const name of await Promise.all(
      [
        admin.client.send(new EncryptCommand({ KeyId: aliceKey.KeyId, Plaintext: plaintext })),
        admin.client.send(new DecryptCommand({ CiphertextBlob: aliceBlob })),
        admin.client.send(new GenerateDataKeyCommand({ KeyId: aliceKey.KeyId, NumberOfBytes: 16 })),
        admin.client.send(new CreateKeyCommand({})),
        admin.client.send(new DisableKeyCommand({ KeyId: aliceKey.KeyId })),
      ].map(kmsError),
    ))
      assert.equal(name, 'AccessDeniedException');
  });

  test('a grant lets its grantee do the listed operations only, until it is retired or revoked', async () => {
    const key = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!;
    const grant = await alice.client.send(
      new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: 'bob', Operations: ['Encrypt', 'Decrypt'] }),
    );
    const blob = (await bob.client.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: plaintext }))).CiphertextBlob!;
    assert.equal(
      Buffer.from((await bob.client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString(),
      'secret data',
    );
    for (const name of await Promise.all(
      [
        bob.client.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 16 })),
        bob.client.send(new DescribeKeyCommand({ KeyId: key.KeyId })),
      ].map(kmsError),
    ))
      assert.equal(name, 'AccessDeniedException');
    // Only the owner manages: the grantee cannot disable the key or grant it on.
    assert.equal(await kmsError(bob.client.send(new DisableKeyCommand({ KeyId: key.KeyId }))), 'AccessDeniedException');
    const listed = await bob.client.send(new ListGrantsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(
      listed.Grants?.map((g) => g.GrantId),
      [grant.GrantId],
    );
    await bob.client.send(new RetireGrantCommand({ GrantToken: grant.GrantToken }));
    assert.equal(
      await kmsError(bob.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext }))),
      'NotFoundException',
    );
    assert.equal(
      await kmsError(bob.client.send(new DecryptCommand({ CiphertextBlob: blob }))),
      'InvalidCiphertextException',
    );

    const again = await alice.client.send(
      new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: 'bob', Operations: ['Decrypt'] }),
    );
    await bob.client.send(new DecryptCommand({ CiphertextBlob: blob }));
    await alice.client.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: again.GrantId }));
    assert.equal(
      await kmsError(bob.client.send(new DecryptCommand({ CiphertextBlob: blob }))),
      'InvalidCiphertextException',
    );
    assert.equal(
      await kmsError(
        alice.client.send(
          new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: 'admin', Operations: ['Decrypt'] }),
        ),
      ),
      'ValidationException',
    );
  });

  test('a grant of a key pair shares both halves: the grantee verifies; retiring ends it', async () => {
    const key = (await alice.client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
      .KeyMetadata!;
    const message = Buffer.from('m');
    const { Signature } = await alice.client.send(
      new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const verify = () =>
      bob.client.send(
        new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
    assert.equal(await kmsError(verify()), 'NotFoundException');
    const grant = await alice.client.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: `arn:aws:iam::${key.AWSAccountId}:user/bob`,
        Operations: ['Verify'],
      }),
    );
    assert.equal((await verify()).SignatureValid, true);
    assert.equal(
      await kmsError(
        bob.client.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })),
      ),
      'AccessDeniedException',
    );
    await bob.client.send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId: grant.GrantId }));
    assert.equal(await kmsError(verify()), 'NotFoundException');
  });

  test('signatures: a wrong secret, an unknown key, a skewed clock, no signature at all', async () => {
    const wrongSecret = await kmsClient(t, { accessKeyId: alice.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    const unknown = await kmsClient(t, { accessKeyId: 'AKCFAAAAAAAAAAAAAAAA', secretAccessKey: alice.secretAccessKey });
    const skewed = await kmsClient(t, alice, TEST_REGION, { systemClockOffset: -10 * 60_000 });
    clients.push(wrongSecret, unknown, skewed);
    assert.equal(await kmsError(wrongSecret.send(new ListKeysCommand({}))), 'InvalidSignatureException');
    assert.equal(await kmsError(unknown.send(new ListKeysCommand({}))), 'UnrecognizedClientException');
    assert.equal(await kmsError(skewed.send(new ListKeysCommand({}))), 'InvalidSignatureException');
    const unsigned = await t.api.call('POST', '/', {
      raw: '{}',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
    });
    assert.equal(unsigned.status, 400);
    assert.equal((unsigned.body as { __type?: string }).__type, 'IncompleteSignatureException');
    const token = await t.api.login('alice', alice.password);
    const bearer = await t.api.call('POST', '/', {
      raw: '{}',
      token,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
    });
    assert.equal((bearer.body as { __type?: string }).__type, 'IncompleteSignatureException');
    const audit = await auditEvents(t.api, admin.token, { action: 'kms.authenticate' });
    const reasons = audit.map((event) => event.details?.reason);
    for (const reason of ['signature', 'unknown', 'expired', 'incomplete']) assert.ok(reasons.includes(reason), reason);
    assert.ok(audit.some((event) => event.details?.reason === 'signature' && event.actor === 'alice'));
  });

  test('an unknown or unsupported operation is UnsupportedOperationException, audited', async () => {
    assert.equal(
      await kmsError(
        alice.client.send(
          new ImportKeyMaterialCommand({
            KeyId: aliceKey.KeyId,
            ImportToken: Buffer.from('t'),
            EncryptedKeyMaterial: Buffer.from('m'),
          }),
        ),
      ),
      'UnsupportedOperationException',
    );
    const url = new URL(t.node.url);
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.NoSuchThing',
      },
      body: '{}',
    });
    const signer = new SignatureV4({ service: 'kms', region: TEST_REGION, credentials: alice, sha256: Sha256 });
    const signed = await signer.sign(request);
    const answer = await t.api.call('POST', '/', { raw: '{}', headers: signed.headers as Record<string, string> });
    assert.equal((answer.body as { __type?: string }).__type, 'UnsupportedOperationException');
    const audit = await auditEvents(t.api, admin.token, { action: 'kms.NoSuchThing' });
    assert.equal(audit[0]?.code, 'KMS_OPERATION_UNSUPPORTED');
  });

  test('access keys: own only, with the password; at most 2; disabled and deleted keys are refused', async () => {
    const carol = await t.cryptoUser('carol');
    const noPassword = await t.api.call('POST', '/v1/access-keys', { token: carol.token, body: {} });
    assert.equal(codeOf(noPassword), 'PASSWORD_REQUIRED');
    const wrong = await t.api.call('POST', '/v1/access-keys', {
      token: carol.token,
      body: { password: 'wrong-password' },
    });
    assert.equal(codeOf(wrong), 'LOGIN_FAILED');
    const first = await createAccessKey(t, carol.token, carol.password);
    const second = await createAccessKey(t, carol.token, carol.password);
    const third = await t.api.call('POST', '/v1/access-keys', {
      token: carol.token,
      body: { password: carol.password },
    });
    assert.equal(codeOf(third), 'ACCESS_KEY_LIMIT');
    const listedByBob = await t.api.call('GET', '/v1/access-keys?username=carol', { token: bob.token });
    assert.equal(codeOf(listedByBob), 'PERMISSION_DENIED');
    const disabledByBob = await t.api.call('POST', `/v1/access-keys/${first.accessKeyId}/disable`, {
      token: bob.token,
      body: {},
    });
    assert.equal(codeOf(disabledByBob), 'ACCESS_KEY_NOT_FOUND');
    const listedByAdmin = await t.api.call<{ accessKeys: { accessKeyId: string }[] }>(
      'GET',
      '/v1/access-keys?username=carol',
      {
        token: admin.token,
      },
    );
    assert.deepEqual(
      listedByAdmin.body.accessKeys.map((key) => key.accessKeyId).sort(),
      [first.accessKeyId, second.accessKeyId].sort(),
    );
    assert.ok(!listedByAdmin.text.includes(first.secretAccessKey));

    const client = await kmsClient(t, first);
    const other = await kmsClient(t, second);
    clients.push(client, other);
    await client.send(new ListKeysCommand({}));
    const disabled = await t.api.call('POST', `/v1/access-keys/${first.accessKeyId}/disable`, {
      token: admin.token,
      body: {},
    });
    assert.equal((disabled.body as { status?: string }).status, 'Inactive');
    assert.equal(await kmsError(client.send(new ListKeysCommand({}))), 'UnrecognizedClientException');
    await other.send(new ListKeysCommand({}));
    // A user holding access keys is not deleted: a later user of the name must not inherit them.
    const deleteCarol = await t.api.call('DELETE', '/v1/users/carol', { token: admin.token });
    assert.equal(codeOf(deleteCarol), 'USER_OWNS_KEYS');
    for (const id of [first.accessKeyId, second.accessKeyId])
      assert.equal((await t.api.call('DELETE', `/v1/access-keys/${id}`, { token: carol.token })).status, 204);
    assert.equal(await kmsError(other.send(new ListKeysCommand({}))), 'UnrecognizedClientException');
    assert.equal((await t.api.call('DELETE', '/v1/users/carol', { token: admin.token })).status, 204);
  });

  test('no secret access key is ever in a log line or an audit event', async () => {
    const events = JSON.stringify(await auditEvents(t.api, admin.token));
    for (const user of [alice, bob, admin]) {
      assert.ok(!t.logs.some((line) => line.includes(user.secretAccessKey)), `${user.username}: logs`);
      assert.ok(!events.includes(user.secretAccessKey), `${user.username}: audit`);
    }
  });

  test('a sealed node answers KMS requests with KMSInternalException, which the SDKs retry', async () => {
    const sealed = await t.api.call('POST', '/v1/cluster/seal', { token: admin.token, body: {} });
    assert.equal(sealed.status, 200, sealed.text);
    try {
      await alice.client.send(new ListKeysCommand({}));
      assert.fail('a sealed node answered');
    } catch (error) {
      const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(failure.name, 'KMSInternalException');
      assert.equal(failure.$metadata?.httpStatusCode, 500);
    }
  });
});
