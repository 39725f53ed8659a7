import assert from 'node:assert/strict';
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  verify,
} from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetPublicKeyCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { startTestNode, type TestNode } from './support/test-node.js';
import { codeOf } from './support/api.js';
import { kmsCryptoUser, kmsError, type KmsUser } from './support/kms.js';

/** How Node verifies each KMS signing algorithm, independently of the node. */
const NODE_VERIFY: Record<string, { hash: string; padding?: number; saltLength?: number; dsa?: 'der' }> = {
  RSASSA_PSS_SHA_256: { hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  RSASSA_PSS_SHA_384: { hash: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
  RSASSA_PSS_SHA_512: { hash: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
  RSASSA_PKCS1_V1_5_SHA_256: { hash: 'sha256', padding: constants.RSA_PKCS1_PADDING },
  RSASSA_PKCS1_V1_5_SHA_384: { hash: 'sha384', padding: constants.RSA_PKCS1_PADDING },
  RSASSA_PKCS1_V1_5_SHA_512: { hash: 'sha512', padding: constants.RSA_PKCS1_PADDING },
  ECDSA_SHA_256: { hash: 'sha256', dsa: 'der' },
  ECDSA_SHA_384: { hash: 'sha384', dsa: 'der' },
  ECDSA_SHA_512: { hash: 'sha512', dsa: 'der' },
};

const SIGNING_KEYS: [KeySpec, SigningAlgorithmSpec[]][] = [
  [
    'RSA_2048',
    [
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ],
  ],
  ['RSA_3072', ['RSASSA_PKCS1_V1_5_SHA_384']],
  ['RSA_4096', ['RSASSA_PSS_SHA_256']],
  ['ECC_NIST_P256', ['ECDSA_SHA_256']],
  ['ECC_NIST_P384', ['ECDSA_SHA_384']],
  ['ECC_NIST_P521', ['ECDSA_SHA_512']],
  ['ECC_SECG_P256K1', ['ECDSA_SHA_256']],
];

describe('the KMS-compatible API: signatures, public keys, RSA encryption, MACs, random', () => {
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

  for (const [spec, algorithms] of SIGNING_KEYS) {
    test(`${spec}: Sign (RAW and DIGEST) verifies with Node and with Verify`, async () => {
      const key = (await alice.client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' })))
        .KeyMetadata!;
      assert.deepEqual(key.SigningAlgorithms?.includes(algorithms[0]!), true);
      const der = (await alice.client.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey!;
      const publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      const message = Buffer.from(`a message for ${spec}`);
      for (const algorithm of algorithms) {
        const how = NODE_VERIFY[algorithm]!;
        const nodeKey = { key: publicKey, padding: how.padding, saltLength: how.saltLength, dsaEncoding: how.dsa };
        const raw = await alice.client.send(
          new SignCommand({ KeyId: key.Arn, Message: message, SigningAlgorithm: algorithm }),
        );
        assert.ok(verify(how.hash, message, nodeKey, Buffer.from(raw.Signature!)), `${algorithm} RAW`);
        const checked = await alice.client.send(
          new VerifyCommand({
            KeyId: key.KeyId,
            Message: message,
            Signature: raw.Signature,
            SigningAlgorithm: algorithm,
          }),
        );
        assert.equal(checked.SignatureValid, true);
        const bad = Buffer.from(raw.Signature!);
        bad[bad.length - 5]! ^= 1;
        assert.equal(
          await kmsError(
            alice.client.send(
              new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature: bad, SigningAlgorithm: algorithm }),
            ),
          ),
          'KMSInvalidSignatureException',
        );
        const digest = createHash(how.hash).update(message).digest();
        const overDigest = alice.client.send(
          new SignCommand({ KeyId: key.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
        );
        const signed = await overDigest;
        // Node verifies PSS with exactly KMS's salt length (the hash's), so another would fail here.
        assert.ok(verify(how.hash, message, nodeKey, Buffer.from(signed.Signature!)), `${algorithm} DIGEST`);
        const verified = await alice.client.send(
          new VerifyCommand({
            KeyId: key.KeyId,
            Message: digest,
            MessageType: 'DIGEST',
            Signature: raw.Signature,
            SigningAlgorithm: algorithm,
          }),
        );
        assert.equal(verified.SignatureValid, true, `${algorithm}: a RAW signature verifies over its DIGEST`);
        assert.equal(
          await kmsError(
            alice.client.send(
              new SignCommand({
                KeyId: key.KeyId,
                Message: digest.subarray(1),
                MessageType: 'DIGEST',
                SigningAlgorithm: algorithm,
              }),
            ),
          ),
          'ValidationException',
          `${algorithm}: a digest of the wrong length`,
        );
      }
      // A signing key neither encrypts nor takes another spec's algorithm.
      assert.equal(
        await kmsError(
          alice.client.send(
            new EncryptCommand({ KeyId: key.KeyId, Plaintext: message, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
          ),
        ),
        'InvalidKeyUsageException',
      );
    });
  }

  test('an RSA ENCRYPT_DECRYPT key: OAEP to and from the node, with its public key outside', async () => {
    const key = (await alice.client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })))
      .KeyMetadata!;
    assert.deepEqual(key.EncryptionAlgorithms, ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    const der = (await alice.client.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey!;
    const publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    const outside = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from('sealed outside'),
    );
    const opened = await alice.client.send(
      new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: outside, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    assert.equal(Buffer.from(opened.Plaintext!).toString(), 'sealed outside');
    const inside = await alice.client.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
    );
    const back = await alice.client.send(
      new DecryptCommand({
        KeyId: key.KeyId,
        CiphertextBlob: inside.CiphertextBlob,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
      }),
    );
    assert.equal(Buffer.from(back.Plaintext!).toString(), 'x');
    assert.equal(
      await kmsError(
        alice.client.send(
          new DecryptCommand({
            KeyId: key.KeyId,
            CiphertextBlob: inside.CiphertextBlob,
            EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          }),
        ),
      ),
      'InvalidCiphertextException',
    );
    assert.equal(
      await kmsError(
        alice.client.send(
          new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
        ),
      ),
      'InvalidKeyUsageException',
    );
  });

  for (const [spec, algorithm, length] of [
    ['HMAC_224', 'HMAC_SHA_224', 28],
    ['HMAC_256', 'HMAC_SHA_256', 32],
    ['HMAC_384', 'HMAC_SHA_384', 48],
    ['HMAC_512', 'HMAC_SHA_512', 64],
  ] as const) {
    test(`${spec}: GenerateMac is deterministic and VerifyMac refuses a changed MAC or message`, async () => {
      const key = (await alice.client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' })))
        .KeyMetadata!;
      assert.deepEqual(key.MacAlgorithms, [algorithm]);
      const message = Buffer.from('mac me');
      const first = await alice.client.send(
        new GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm }),
      );
      const again = await alice.client.send(
        new GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm }),
      );
      assert.equal(first.Mac?.length, length);
      assert.deepEqual(first.Mac, again.Mac);
      const ok = await alice.client.send(
        new VerifyMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm, Mac: first.Mac }),
      );
      assert.equal(ok.MacValid, true);
      const bad = Buffer.from(first.Mac!);
      bad[0]! ^= 1;
      assert.equal(
        await kmsError(
          alice.client.send(
            new VerifyMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm, Mac: bad }),
          ),
        ),
        'KMSInvalidMacException',
      );
      assert.equal(
        await kmsError(
          alice.client.send(
            new VerifyMacCommand({
              KeyId: key.KeyId,
              Message: Buffer.from('other'),
              MacAlgorithm: algorithm,
              Mac: first.Mac,
            }),
          ),
        ),
        'KMSInvalidMacException',
      );
      assert.equal(
        await kmsError(alice.client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: message }))),
        'InvalidKeyUsageException',
      );
    });
  }

  for (const [spec, curve] of [
    ['ECC_NIST_P256', 'prime256v1'],
    ['ECC_NIST_P384', 'secp384r1'],
    ['ECC_NIST_P521', 'secp521r1'],
  ] as const) {
    test(`${spec} KEY_AGREEMENT: DeriveSharedSecret is the ECDH secret the peer computes; no C_DeriveKey from it`, async () => {
      const key = (await alice.client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' })))
        .KeyMetadata!;
      assert.deepEqual(key.KeyAgreementAlgorithms, ['ECDH']);
      const peer = generateKeyPairSync('ec', { namedCurve: curve });
      const peerPublic = peer.publicKey.export({ type: 'spki', format: 'der' });
      const derived = await alice.client.send(
        new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerPublic }),
      );
      const kmsPublic = (await alice.client.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey!;
      const expected = diffieHellman({
        privateKey: peer.privateKey,
        publicKey: createPublicKey({ key: Buffer.from(kmsPublic), format: 'der', type: 'spki' }),
      });
      assert.deepEqual(Buffer.from(derived.SharedSecret!), expected);
      assert.equal(
        await kmsError(
          alice.client.send(
            new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
          ),
        ),
        'InvalidKeyUsageException',
      );
      // The same bytes as a stored derived key would be no secret: /v1 refuses that derivation.
      const handle = `0x${key.KeyId!.replaceAll('-', '').slice(0, 16)}`;
      const refused = await t.api.call('POST', '/v1/keys/derive', {
        token: alice.token,
        body: {
          baseKeyHandle: handle,
          mechanism: 'ECDH1_DERIVE',
          publicKey: peerPublic.toString('base64'),
          keyType: 'generic-secret',
          keyLengthBytes: 32,
        },
      });
      assert.equal(codeOf(refused), 'KEY_FUNCTION_NOT_PERMITTED', refused.text);
    });
  }

  test('GenerateRandom gives the bytes asked for, 1 to 1024', async () => {
    const random = await alice.client.send(new GenerateRandomCommand({ NumberOfBytes: 48 }));
    assert.equal(random.Plaintext?.length, 48);
    assert.equal(
      await kmsError(alice.client.send(new GenerateRandomCommand({ NumberOfBytes: 1025 }))),
      'ValidationException',
    );
  });

  test('GenerateDataKeyPair: the encrypted private key decrypts to the plaintext one, which matches the public key', async () => {
    const key = (await alice.client.send(new CreateKeyCommand({}))).KeyMetadata!;
    const pair = await alice.client.send(
      new GenerateDataKeyPairCommand({
        KeyId: key.KeyId,
        KeyPairSpec: 'ECC_NIST_P256',
        EncryptionContext: { use: 'pair' },
      }),
    );
    const opened = await alice.client.send(
      new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { use: 'pair' } }),
    );
    assert.deepEqual(Buffer.from(opened.Plaintext!), Buffer.from(pair.PrivateKeyPlaintext!));
    const privateKey = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' });
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    assert.deepEqual(derived, Buffer.from(pair.PublicKey!));
    const bare = await alice.client.send(
      new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: key.KeyId, KeyPairSpec: 'RSA_2048' }),
    );
    assert.equal('PrivateKeyPlaintext' in bare, false);
    assert.ok(bare.PrivateKeyCiphertextBlob && bare.PublicKey);
  });
});
