import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { kmsClient, kmsError } from './support/kms.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('coffer user create-access-key / list / disable / delete, and KMS keys in coffer key list', () => {
  let t: TestNode;
  let out: string[];
  let run: (pin: string, args: string[]) => Promise<{ code: number; json: Record<string, unknown> }>;

  before(async () => {
    t = await startTestNode();
    run = async (pin, args) => {
      out = [];
      const io: CliIo = {
        env: { COFFER_ENDPOINT: t.node.url, COFFER_CA_FILE: t.dir.caCert, COFFER_PIN: pin },
        cwd: t.root,
        interactive: false,
        writeOut: (text) => void out.push(text),
        writeErr: (text) => void out.push(text),
        promptLine: () => Promise.reject(new Error('no prompt')),
        promptSecret: () => Promise.reject(new Error('no prompt')),
      };
      const code = await main([...args, '--json'], io);
      return { code, json: JSON.parse(out.join('')) as Record<string, unknown> };
    };
  });
  after(() => t?.stop());

  test('a crypto user makes an access key, uses it through the AWS SDK, and an admin disables it', async () => {
    const { password } = await t.cryptoUser('dana');
    const pin = `dana:${password}`;
    const created = await run(pin, ['user', 'create-access-key']);
    assert.equal(created.code, 0, out.join(''));
    const data = created.json.data as Record<string, string>;
    assert.match(data['access-key-id']!, /^AKCF[A-Z2-7]{16}$/);
    assert.equal(data['secret-access-key']!.length, 40);
    const client = await kmsClient(t, {
      accessKeyId: data['access-key-id']!,
      secretAccessKey: data['secret-access-key']!,
    });
    try {
      const key = (await client.send(new CreateKeyCommand({ Description: 'from the CLI test' }))).KeyMetadata!;
      const listed = await run(pin, ['key', 'list', '--verbose']);
      assert.equal(listed.code, 0, out.join(''));
      const keys = (listed.json.data as { matched_keys: { 'key-info': { kms?: Record<string, string> } }[] })
        .matched_keys;
      const kms = keys.map((entry) => entry['key-info'].kms).filter(Boolean);
      assert.deepEqual(kms, [
        { 'key-spec': 'SYMMETRIC_DEFAULT', 'key-usage': 'ENCRYPT_DECRYPT', description: 'from the CLI test' },
      ]);
      assert.ok(key.KeyId);

      const mine = await run(pin, ['user', 'list-access-keys']);
      const entries = (mine.json.data as { 'access-keys': Record<string, string>[] })['access-keys'];
      assert.deepEqual(
        entries.map((entry) => [entry['access-key-id'], entry.status]),
        [[data['access-key-id'], 'Active']],
      );
      assert.ok(!out.join('').includes(data['secret-access-key']!), 'the secret is never listed');

      const adminPin = `admin:${t.adminPassword}`;
      const seen = await run(adminPin, ['user', 'list-access-keys', '--for-user', 'dana']);
      assert.equal(seen.code, 0, out.join(''));
      const disabled = await run(adminPin, ['user', 'disable-access-key', '--access-key-id', data['access-key-id']!]);
      assert.equal((disabled.json.data as Record<string, string>).status, 'Inactive');
      assert.equal(await kmsError(client.send(new ListKeysCommand({}))), 'UnrecognizedClientException');
      const deleted = await run(pin, ['user', 'delete-access-key', '--access-key-id', data['access-key-id']!]);
      assert.equal(deleted.code, 0, out.join(''));
      const none = await run(pin, ['user', 'list-access-keys']);
      assert.deepEqual((none.json.data as { 'access-keys': unknown[] })['access-keys'], []);
    } finally {
      client.destroy();
    }
  });
});
