import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { checkpointMessage, type Checkpoint } from '../src/audit/checkpoint.js';
import type { AuditEvent } from '../src/audit/audit-event.js';
import { verifyExport } from '../src/audit/verify.js';
import { AUDIT_KEY_PATH } from '../src/audit/audit-key.js';
import { startNode } from '../src/cluster/node.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { createLogger } from '../src/util/logger.js';
import { codeOf } from './support/api.js';
import { startTestNode, type TestNode } from './support/test-node.js';

interface Key {
  handle: string;
}
interface EventsPage {
  events: AuditEvent[];
  more: boolean;
  next: number;
}

/** Restarts the node of `t` with audit options (dev mode unseals itself). */
async function restartWith(t: TestNode, options: Parameters<typeof startNode>[0] extends infer O ? Partial<O> : never) {
  const port = t.node.port;
  await t.node.close();
  t.node = await startNode({ dataDir: t.dir.root, port, logger: createLogger({ level: 'silent' }), ...options });
}

/** A GET whose answer is text (the test API client parses JSON only). */
async function getText(
  t: TestNode,
  path: string,
  token: string,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const agent = new Agent({
    connect: {
      ca: await readFile(t.dir.caCert),
      cert: await readFile(t.init.clientCert!),
      key: await readFile(t.init.clientKey!),
      minVersion: 'TLSv1.3',
    },
  });
  try {
    const answer = await request(t.node.url + path, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson' },
      dispatcher: agent,
    });
    return { status: answer.statusCode, text: await answer.body.text(), headers: answer.headers };
  } finally {
    await agent.close();
  }
}

async function exportAll(t: TestNode, admin: string): Promise<string> {
  const answer = await getText(t, '/v1/audit/export?limit=1000', admin);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers['x-coffer-more'], 'false');
  return answer.text;
}

describe('the audit chain over the API', () => {
  let t: TestNode;
  let admin: string;
  let alice: string;
  let alicePassword: string;
  let bob: string;
  let aes: Key;

  before(async () => {
    t = await startTestNode();
    await restartWith(t, { auditCheckpointEvery: 8 });
    admin = await t.api.login('admin', t.adminPassword);
    ({ token: alice, password: alicePassword } = await t.cryptoUser('alice'));
    bob = (await t.cryptoUser('bob')).token;
    const generated = await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
      token: alice,
      body: { keyType: 'aes', keyLengthBytes: 32, label: 'audited' },
    });
    assert.equal(generated.status, 201, generated.text);
    aes = generated.body.key;
  });
  after(() => t.stop());

  test('the audit key is made at cluster init and published', async () => {
    const key = await t.api.call<{ publicKey: string; pem: string; keyId: string }>('GET', '/v1/audit/public-key', {
      token: alice,
    });
    assert.equal(key.status, 200, key.text);
    assert.equal(createPublicKey(key.body.pem).asymmetricKeyType, 'ed25519');
    const first = await t.api.call<EventsPage>('GET', '/v1/audit/events?limit=1', { token: admin });
    assert.equal(first.body.events[0]?.action, 'cluster.init');
    assert.equal(first.body.events[0]?.details?.auditKeyId, key.body.keyId);
  });

  test('POST /v1/audit/checkpoints signs the chain head (admin only)', async () => {
    const refused = await t.api.call('POST', '/v1/audit/checkpoints', { token: alice, body: {} });
    assert.equal(refused.status, 403);
    const made = await t.api.call<{ checkpoint: Checkpoint }>('POST', '/v1/audit/checkpoints', {
      token: admin,
      body: {},
    });
    assert.equal(made.status, 201, made.text);
    const { checkpoint } = made.body;
    const head = await t.api.call<{ seq: number; hash: string }>('GET', '/v1/audit/head', { token: admin });
    assert.deepEqual({ seq: checkpoint.seq, hash: checkpoint.hash }, head.body);
    const key = await t.api.call<{ pem: string }>('GET', '/v1/audit/public-key', { token: admin });
    const message = checkpointMessage(checkpoint);
    assert.ok(verify(null, message, key.body.pem, Buffer.from(checkpoint.signature, 'base64')));
    assert.ok(
      !verify(
        null,
        Buffer.concat([message, Buffer.from('x')]),
        key.body.pem,
        Buffer.from(checkpoint.signature, 'base64'),
      ),
    );
  });

  test('checkpoints are written every N events, in the transaction that crosses N', async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await t.api.call('POST', '/v1/crypto/encrypt', {
        token: alice,
        body: { keyHandle: aes.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
      });
      assert.equal(answer.status, 200);
      await t.api.call('GET', '/v1/users', { token: bob }); // not audited: reads
      await t.api.call('POST', '/v1/cluster/seal', { token: bob, body: {} }); // a refusal: audited
    }
    const lines = (await exportAll(t, admin)).trimEnd().split('\n');
    const checkpoints = lines.filter((line) => line.startsWith('{"type":"checkpoint"'));
    const seqs = checkpoints.map((line) => (JSON.parse(line) as { checkpoint: Checkpoint }).checkpoint.seq);
    const head = (await t.api.call<{ seq: number }>('GET', '/v1/audit/head', { token: admin })).body.seq;
    // Every block of 8 events has a checkpoint inside it.
    for (let block = 1; block <= Math.floor(head / 8); block++)
      assert.ok(
        seqs.some((seq) => seq >= block * 8 && seq < (block + 1) * 8 + 8),
        `block ${block}: ${seqs.join(',')}`,
      );
  });

  test('a fresh export verifies; changing any byte of any event fails naming it', async () => {
    const text = await exportAll(t, admin);
    const report = verifyExport(text);
    assert.equal(report.ok, true, JSON.stringify(report.broken));
    assert.ok(report.events > 20);
    const lines = text.trimEnd().split('\n');
    let changes = 0;
    for (const [index, line] of lines.entries()) {
      if (!line.startsWith('{"type":"event"')) continue;
      const { seq } = (JSON.parse(line) as { event: AuditEvent }).event;
      const at = [
        line.indexOf('"actor":"') + 10,
        line.indexOf('"seq":') + 6,
        line.indexOf('"hash":"') + 9,
        3,
        line.length - 1,
      ];
      for (const position of at) {
        const bytes = Buffer.from(line);
        bytes[position] = bytes[position] === 0x31 ? 0x32 : bytes[position] === 0x7d ? 0x5d : 0x31;
        const changed = [...lines];
        changed[index] = bytes.toString();
        const broken = verifyExport(changed.join('\n') + '\n').broken;
        assert.equal(broken?.seq, seq, `seq ${seq} byte ${position}`);
        changes++;
      }
    }
    assert.ok(changes > 100);
    // Removing or reordering events fails too.
    const eventIndexes = lines.flatMap((line, index) => (line.startsWith('{"type":"event"') ? [index] : []));
    const [x, y] = [eventIndexes[5]!, eventIndexes[6]!];
    assert.equal(verifyExport(lines.filter((_, index) => index !== x).join('\n')).broken?.seq, 6);
    const swapped = [...lines];
    [swapped[x], swapped[y]] = [lines[y]!, lines[x]!];
    assert.equal(verifyExport(swapped.join('\n')).broken?.seq, 6);
  });

  test('the export answers JSON lines, or an envelope for application/json, in pages', async () => {
    const page = await t.api.call<{ lines: string[]; more: boolean; next: number }>(
      'GET',
      '/v1/audit/export?after=3&limit=5',
      { token: admin, headers: { accept: 'application/json' } },
    );
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.more, true);
    assert.equal(page.body.next, 8);
    const header = JSON.parse(page.body.lines[0]!) as { type: string; after: number };
    assert.deepEqual([header.type, header.after], ['header', 3]);
    const raw = await getText(t, '/v1/audit/export?after=3&limit=5', admin);
    assert.equal(raw.headers['x-coffer-next'], '8');
    assert.match(raw.text, /^\{"type":"header"/);
    assert.equal(raw.text.trimEnd().split('\n').length, page.body.lines.length);
    assert.equal((await t.api.call('GET', '/v1/audit/export', { token: alice })).status, 403);
  });

  test('search filters on the node: actor, action prefix, target, result, time range', async () => {
    const search = async (query: string) => {
      const answer = await t.api.call<EventsPage>('GET', `/v1/audit/events?${query}`, { token: admin });
      assert.equal(answer.status, 200, answer.text);
      return answer.body;
    };
    const refusals = await search('actor=bob&result=failure');
    assert.ok(refusals.events.length >= 20);
    assert.ok(refusals.events.every((event) => event.actor === 'bob' && event.result === 'failure'));
    const keyEvents = await search(`target=key/${aes.handle}&action=key.*`);
    assert.deepEqual(
      keyEvents.events.map((event) => event.action),
      ['key.generate'],
    );
    const paged = await search('actor=bob&limit=5');
    assert.equal(paged.events.length, 5);
    assert.equal(paged.more, true);
    const next = await search(`actor=bob&limit=5&after=${paged.next}`);
    assert.ok(next.events[0]!.seq > paged.events[4]!.seq);
    const future = await search('since=2999-01-01T00:00:00Z');
    assert.deepEqual(future.events, []);
    const past = await search('until=2000-01-01T00:00:00Z');
    assert.deepEqual(past.events, []);
    const bad = await t.api.call('GET', '/v1/audit/events?since=yesterday', { token: admin });
    assert.equal(codeOf(bad), 'INVALID_FIELD');
  });

  test('crypto use is counted per key; owner and admin read it, a shared user may not', async () => {
    const usage = await t.api.call<{ usage: { total: number; operations: Record<string, number> } }>(
      'GET',
      `/v1/keys/${aes.handle}/usage`,
      { token: alice },
    );
    assert.equal(usage.status, 200, usage.text);
    assert.equal(usage.body.usage.total, 20);
    assert.equal(usage.body.usage.operations.encrypt, 20);
    const byAdmin = await t.api.call('GET', `/v1/keys/${aes.handle}/usage`, { token: admin });
    assert.equal(byAdmin.status, 200);
    const share = await t.api.call('POST', `/v1/keys/${aes.handle}/shares`, {
      token: alice,
      body: { username: 'bob' },
    });
    assert.ok(share.status === 200 || share.status === 201, share.text);
    const byBob = await t.api.call('GET', `/v1/keys/${aes.handle}/usage`, { token: bob });
    assert.equal(codeOf(byBob), 'PERMISSION_DENIED');
  });

  test('usage is flushed at close into usage/<handle>/<node>, with an audit event, and survives restart', async () => {
    await restartWith(t, { auditCheckpointEvery: 8 });
    admin = await t.api.login('admin', t.adminPassword);
    alice = await t.api.login('alice', alicePassword);
    const usage = await t.api.call<{ usage: { total: number; pending: number; nodes: { node: string }[] } }>(
      'GET',
      `/v1/keys/${aes.handle}/usage`,
      { token: alice },
    );
    assert.equal(usage.body.usage.total, 20);
    assert.equal(usage.body.usage.pending, 0);
    assert.deepEqual(
      usage.body.usage.nodes.map((node) => node.node),
      [t.init.nodeId],
    );
    const flushes = await t.api.call<EventsPage>('GET', '/v1/audit/events?action=key.usage-flush', { token: admin });
    assert.equal(flushes.body.events.length, 1);
    assert.equal(flushes.body.events[0]?.details?.uses, 20);
  });

  test('sealing signs a checkpoint at the seal event', async () => {
    const sealed = await t.api.call('POST', '/v1/cluster/seal', { token: admin, body: {} });
    assert.equal(sealed.status, 200, sealed.text);
    await restartWith(t, { auditCheckpointEvery: 8 });
    admin = await t.api.login('admin', t.adminPassword);
    const seal = await t.api.call<EventsPage>('GET', '/v1/audit/events?action=cluster.seal&result=success', {
      token: admin,
    });
    const seq = seal.body.events.at(-1)!.seq;
    const page = await t.api.call<{ lines: string[] }>('GET', `/v1/audit/export?after=${seq - 1}&limit=1`, {
      token: admin,
      headers: { accept: 'application/json' },
    });
    assert.match(page.body.lines[2] ?? '', /^\{"type":"checkpoint","checkpoint":\{"seq":/);
    assert.equal((JSON.parse(page.body.lines[2]!) as { checkpoint: Checkpoint }).checkpoint.seq, seq);
    assert.equal(verifyExport(await exportAll(t, admin)).ok, true);
  });
});

describe('crypto use logging and the lazy audit key', () => {
  test('with auditCryptoUse each operation appends crypto.<op> with key and mechanism; without, none', async () => {
    const t = await startTestNode();
    try {
      const { token: alice, password } = await t.cryptoUser('alice');
      const key = (
        await t.api.call<{ key: Key }>('POST', '/v1/keys/symmetric', {
          token: alice,
          body: { keyType: 'aes', keyLengthBytes: 32 },
        })
      ).body.key;
      const encrypt = () =>
        t.api.call('POST', '/v1/crypto/encrypt', {
          token: alice,
          body: { keyHandle: key.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
        });
      await encrypt();
      const admin = await t.api.login('admin', t.adminPassword);
      const logged = async () =>
        (await t.api.call<EventsPage>('GET', '/v1/audit/events?action=crypto.encrypt', { token: admin })).body.events;
      assert.deepEqual(await logged(), []);
      await restartWith(t, { auditCryptoUse: true });
      const alice2 = await t.api.login('alice', password);
      const answer = await t.api.call('POST', '/v1/crypto/encrypt', {
        token: alice2,
        body: { keyHandle: key.handle, mechanism: 'AES_GCM', plaintext: 'AA==' },
      });
      assert.equal(answer.status, 200);
      const events = await (async () => {
        const token = await t.api.login('admin', t.adminPassword);
        return (await t.api.call<EventsPage>('GET', '/v1/audit/events?action=crypto.encrypt', { token })).body.events;
      })();
      assert.equal(events.length, 1);
      assert.equal(events[0]?.actor, 'alice');
      assert.equal(events[0]?.target, `key/${key.handle}`);
      assert.equal(events[0]?.result, 'success');
      assert.deepEqual(events[0]?.details, { mechanism: 'AES_GCM' });
    } finally {
      await t.stop();
    }
  });

  test('a cluster made before audit keys gets one, audited, at its first unseal', async () => {
    const t = await startTestNode();
    try {
      await t.node.close();
      const store = await openSqliteStore(t.dir.store);
      const removed = await store.txn([], [{ type: 'delete', key: AUDIT_KEY_PATH }]);
      assert.ok(removed.succeeded);
      assert.equal(await store.get(AUDIT_KEY_PATH), undefined);
      await store.close();
      await restartWith(t, {});
      const admin = await t.api.login('admin', t.adminPassword);
      const created = await t.api.call<EventsPage>('GET', '/v1/audit/events?action=audit.key-create', { token: admin });
      assert.equal(created.body.events.length, 1);
      const key = await t.api.call<{ keyId: string }>('GET', '/v1/audit/public-key', { token: admin });
      assert.equal(created.body.events[0]?.details?.keyId, key.body.keyId);
      await t.api.call('POST', '/v1/audit/checkpoints', { token: admin, body: {} });
      assert.equal(verifyExport(await exportAll(t, admin)).ok, true);
    } finally {
      await t.stop();
    }
  });
});
