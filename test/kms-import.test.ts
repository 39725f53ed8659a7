import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createHmac,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
  EnableKeyRotationCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { startTestNode, type TestNode } from './support/test-node.js';
import { auditEvents } from './support/audit-events.js';
import { kmsCryptoUser, kmsError, type KmsUser } from './support/kms.js';

/** What GetParametersForImport answered, with the public key parsed. */
interface Parameters {
  readonly token: Uint8Array;
  readonly publicKey: KeyObject;
  readonly validTo: Date;
}

async function parametersFor(client: KMSClient, keyId: string, algorithm = 'RSAES_OAEP_SHA_256', spec = 'RSA_2048') {
  const out = await client.send(
    new GetParametersForImportCommand({
      KeyId: keyId,
      WrappingAlgorithm: algorithm as 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: spec as 'RSA_2048',
    }),
  );
  return {
    token: out.ImportToken!,
    publicKey: createPublicKey({ key: Buffer.from(out.PublicKey!), format: 'der', type: 'spki' }),
    validTo: out.ParametersValidTo!,
  } satisfies Parameters;
}

/** The material wrapped as a KMS client wraps it, with Node alone. */
function wrap(material: Buffer, publicKey: KeyObject, algorithm: string): Buffer {
  const hash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  const oaep = (data: Buffer) =>
    publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(material);
  // RSA_AES_KEY_WRAP: a fresh AES-256 key under RSA-OAEP, then the material under AES-KWP (RFC 5649).
  const aes = randomBytes(32);
  const cipher = createCipheriv('id-aes256-wrap-pad', aes, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([oaep(aes), cipher.update(material), cipher.final()]);
}

const DAY = 86_400_000;

describe('the KMS-compatible API: imported key material (Origin EXTERNAL)', () => {
  let t: TestNode;
  let alice: KmsUser;
  let bob: KmsUser;
  /** The node's clock runs this far ahead: expiry is tested by moving it, not by waiting. */
  let offset = 0;

  before(async () => {
    t = await startTestNode({ clock: () => new Date(Date.now() + offset) });
    alice = await kmsCryptoUser(t, 'alice');
    bob = await kmsCryptoUser(t, 'bob');
  });
  after(async () => {
    alice?.client.destroy();
    bob?.client.destroy();
    await t?.stop();
  });

  async function setImportPolicy(allow: boolean): Promise<void> {
    const admin = await t.api.login('admin', t.adminPassword);
    const set = await t.api.call('PUT', '/v1/cluster/policy', { token: admin, body: { allowPlaintextImport: allow } });
    assert.equal(set.status, 200, set.text);
  }

  async function externalKey(client: KMSClient = alice.client, spec?: 'HMAC_256') {
    const created = await client.send(
      new CreateKeyCommand({ Origin: 'EXTERNAL', ...(spec && { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' }) }),
    );
    return created.KeyMetadata!;
  }

  async function importInto(keyId: string, material: Buffer, algorithm = 'RSAES_OAEP_SHA_256', validTo?: Date) {
    const parameters = await parametersFor(alice.client, keyId, algorithm);
    await alice.client.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: parameters.token,
        EncryptedKeyMaterial: wrap(material, parameters.publicKey, algorithm),
        ...(validTo
          ? { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo }
          : { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
      }),
    );
  }

  test('the cluster policy governs it: without plaintext import allowed, CreateKey EXTERNAL is refused', async () => {
    await setImportPolicy(false);
    assert.equal(
      await kmsError(alice.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))),
      'UnsupportedOperationException',
    );
    await setImportPolicy(true);
  });

  test('CreateKey EXTERNAL waits pending import; the material imports and encrypts what it decrypts', async () => {
    const key = await externalKey();
    assert.equal(key.Origin, 'EXTERNAL');
    assert.equal(key.KeyState, 'PendingImport');
    assert.equal(key.Enabled, false);
    assert.equal(
      await kmsError(alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))),
      'KMSInvalidStateException',
    );
    const parameters = await parametersFor(alice.client, key.KeyId!, 'RSAES_OAEP_SHA_256', 'RSA_3072');
    assert.equal(parameters.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    const hours = (parameters.validTo.getTime() - Date.now() - offset) / 3_600_000;
    assert.ok(hours > 23.9 && hours <= 24.01, `valid for 24 h, not ${hours}`);
    const material = randomBytes(32);
    await alice.client.send(
      new ImportKeyMaterialCommand({
        KeyId: key.Arn,
        ImportToken: parameters.token,
        EncryptedKeyMaterial: wrap(material, parameters.publicKey, 'RSAES_OAEP_SHA_256'),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    const described = (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    assert.equal(described.KeyState, 'Enabled');
    assert.equal(described.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
    const context = { order: '42' };
    const encrypted = await alice.client.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('imported'), EncryptionContext: context }),
    );
    const decrypted = await alice.client.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
    );
    assert.equal(Buffer.from(decrypted.Plaintext!).toString(), 'imported');
    // The token was spent: it does not import again.
    assert.equal(
      await kmsError(
        alice.client.send(
          new ImportKeyMaterialCommand({
            KeyId: key.KeyId,
            ImportToken: parameters.token,
            EncryptedKeyMaterial: wrap(material, parameters.publicKey, 'RSAES_OAEP_SHA_256'),
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        ),
      ),
      'InvalidImportTokenException',
    );
    // A key of imported material never gets node-made material by rotation.
    assert.equal(
      await kmsError(alice.client.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }))),
      'UnsupportedOperationException',
    );
  });

  for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256']) {
    test(`${algorithm} wraps the material`, async () => {
      const key = await externalKey();
      await importInto(key.KeyId!, randomBytes(32), algorithm);
      const encrypted = await alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('k') }));
      const decrypted = await alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      assert.equal(Buffer.from(decrypted.Plaintext!).toString(), 'k');
    });
  }

  test('an HMAC key of imported material MACs as HMAC-SHA-256 of that material does', async () => {
    const key = await externalKey(alice.client, 'HMAC_256');
    const material = randomBytes(40);
    await importInto(key.KeyId!, material);
    const message = Buffer.from('a message');
    const mac = await alice.client.send(
      new GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }),
    );
    assert.deepEqual(Buffer.from(mac.Mac!), createHmac('sha256', material).update(message).digest());
  });

  test('asymmetric specs are refused with Origin EXTERNAL, never made with node material', async () => {
    assert.equal(
      await kmsError(
        alice.client.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })),
      ),
      'UnsupportedOperationException',
    );
  });

  test('DeleteImportedKeyMaterial: ciphertexts fail until the same material is imported again; other material is refused', async () => {
    const key = await externalKey();
    const material = randomBytes(32);
    await importInto(key.KeyId!, material);
    const encrypted = await alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('p') }));
    await alice.client.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
      'PendingImport',
    );
    assert.equal(
      await kmsError(alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))),
      'KMSInvalidStateException',
    );
    assert.equal(
      await kmsError(alice.client.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }))),
      'KMSInvalidStateException',
    );
    // Another 32 bytes are not this key's material.
    assert.equal(await kmsError(importInto(key.KeyId!, randomBytes(32))), 'IncorrectKeyMaterialException');
    // Material of the wrong length for the spec is refused too.
    assert.equal(await kmsError(importInto(key.KeyId!, randomBytes(16))), 'IncorrectKeyMaterialException');
    await importInto(key.KeyId!, material);
    const decrypted = await alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    assert.equal(Buffer.from(decrypted.Plaintext!).toString(), 'p');
    // Scheduled for deletion without material and cancelled, the key waits for its material again.
    await alice.client.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    await alice.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await alice.client.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
      'PendingImport',
    );
  });

  test('an altered token, a token of another key, and material wrapped otherwise are refused', async () => {
    const key = await externalKey();
    const other = await externalKey();
    const material = randomBytes(32);
    const parameters = await parametersFor(alice.client, key.KeyId!);
    const otherParameters = await parametersFor(alice.client, other.KeyId!);
    const attempt = (token: Uint8Array, encrypted: Buffer) =>
      kmsError(
        alice.client.send(
          new ImportKeyMaterialCommand({
            KeyId: key.KeyId,
            ImportToken: token,
            EncryptedKeyMaterial: encrypted,
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        ),
      );
    const wrapped = wrap(material, parameters.publicKey, 'RSAES_OAEP_SHA_256');
    for (let index = 0; index < parameters.token.length; index += 5) {
      const altered = Buffer.from(parameters.token);
      altered[index]! ^= 0x01;
      assert.equal(await attempt(altered, wrapped), 'InvalidImportTokenException', `byte ${index}`);
    }
    assert.equal(await attempt(otherParameters.token, wrapped), 'InvalidImportTokenException');
    // Under the other key's wrapping key, or with SHA-1 where SHA-256 was asked for: not this key's.
    assert.equal(
      await attempt(parameters.token, wrap(material, otherParameters.publicKey, 'RSAES_OAEP_SHA_256')),
      'InvalidCiphertextException',
    );
    assert.equal(
      await attempt(parameters.token, wrap(material, parameters.publicKey, 'RSAES_OAEP_SHA_1')),
      'InvalidCiphertextException',
    );
    assert.equal(await attempt(parameters.token, wrapped), 'no error');
    // A key of Origin AWS_KMS takes no material.
    const made = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!;
    assert.equal(
      await kmsError(
        alice.client.send(
          new GetParametersForImportCommand({
            KeyId: made.KeyId,
            WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
            WrappingKeySpec: 'RSA_2048',
          }),
        ),
      ),
      'UnsupportedOperationException',
    );
  });

  test('an expired token is refused; expired material leaves the key pending import', async () => {
    const key = await externalKey();
    const material = randomBytes(32);
    const stale = await parametersFor(alice.client, key.KeyId!);
    offset += DAY + 60_000;
    try {
      assert.equal(
        await kmsError(
          alice.client.send(
            new ImportKeyMaterialCommand({
              KeyId: key.KeyId,
              ImportToken: stale.token,
              EncryptedKeyMaterial: wrap(material, stale.publicKey, 'RSAES_OAEP_SHA_256'),
              ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
            }),
          ),
        ),
        'ExpiredImportTokenException',
      );
      // ValidTo is in the future and required with KEY_MATERIAL_EXPIRES.
      assert.equal(
        await kmsError(importInto(key.KeyId!, material, 'RSAES_OAEP_SHA_256', new Date(0))),
        'ValidationException',
      );
      const validTo = new Date(Date.now() + offset + 3_600_000);
      await importInto(key.KeyId!, material, 'RSAES_OAEP_SHA_256', validTo);
      const described = (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
      assert.equal(described.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(Math.round(described.ValidTo!.getTime() / 1000), Math.round(validTo.getTime() / 1000));
      const encrypted = await alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('e') }));
      offset += 2 * 3_600_000;
      assert.equal(
        await kmsError(alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))),
        'KMSInvalidStateException',
      );
      assert.equal(
        (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
        'PendingImport',
      );
      await importInto(key.KeyId!, material);
      const decrypted = await alice.client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      assert.equal(Buffer.from(decrypted.Plaintext!).toString(), 'e');
    } finally {
      offset = 0;
    }
  });

  test('another user cannot see the key, nor ask for its parameters; a user it is shared with is not its owner', async () => {
    const key = await externalKey();
    const parameters = await parametersFor(alice.client, key.KeyId!);
    const wrapped = wrap(randomBytes(32), parameters.publicKey, 'RSAES_OAEP_SHA_256');
    const asBob = (client: KMSClient) =>
      Promise.all([
        kmsError(
          client.send(
            new GetParametersForImportCommand({
              KeyId: key.Arn,
              WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
              WrappingKeySpec: 'RSA_2048',
            }),
          ),
        ),
        kmsError(
          client.send(
            new ImportKeyMaterialCommand({
              KeyId: key.Arn,
              ImportToken: parameters.token,
              EncryptedKeyMaterial: wrapped,
              ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
            }),
          ),
        ),
        kmsError(client.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.Arn }))),
      ]);
    assert.deepEqual(await asBob(bob.client), ['NotFoundException', 'NotFoundException', 'NotFoundException']);
    const shared = await t.api.call('POST', `/v1/keys/${handleOf(key.KeyId!)}/shares`, {
      token: alice.token,
      body: { username: 'bob' },
    });
    assert.ok(shared.status === 200 || shared.status === 204, shared.text);
    assert.deepEqual(await asBob(bob.client), [
      'AccessDeniedException',
      'AccessDeniedException',
      'AccessDeniedException',
    ]);
    // Bob's refusals left the key as it was: Alice's token still imports.
    await alice.client.send(
      new ImportKeyMaterialCommand({
        KeyId: key.KeyId,
        ImportToken: parameters.token,
        EncryptedKeyMaterial: wrapped,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    assert.equal(
      (await alice.client.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState,
      'Enabled',
    );
    const events = await auditEvents(t.api, await t.api.login('admin', t.adminPassword));
    const refused = events.filter(
      (event) => event.actor === 'bob' && event.result === 'failure' && event.target === `key/${handleOf(key.KeyId!)}`,
    );
    assert.ok(refused.length >= 6, `every refusal of bob is audited (${refused.length})`);
    assert.ok(
      events.some(
        (event) => event.actor === 'alice' && event.action === 'kms.import-key-material' && event.result === 'success',
      ),
    );
  });
});

/** The Coffer handle of a KMS KeyId (key-ids.ts: the UUID's first 16 hex digits). */
function handleOf(keyId: string): string {
  return `0x${keyId.replaceAll('-', '').slice(0, 16)}`;
}
