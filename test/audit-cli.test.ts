import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { capturedIo } from './support/captured-io.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('coffer audit export | verify | search | tail', () => {
  let t: TestNode;
  let connection: string[];

  before(async () => {
    t = await startTestNode();
    await t.cryptoUser('carol');
    connection = [
      '--endpoint',
      t.node.url,
      '--ca-file',
      t.dir.caCert,
      '--cert-file',
      t.init.clientCert!,
      '--key-file',
      t.init.clientKey!,
      '--username',
      'admin',
      '--password',
      t.adminPassword,
    ];
  });
  after(() => t.stop());

  test('export pages through everything; verify passes offline, then fails on a changed byte naming the seq', async () => {
    const file = join(t.root, 'audit.jsonl');
    const exported = capturedIo(t.root);
    assert.equal(
      await main(['audit', 'export', '--path', 'audit.jsonl', ...connection], exported),
      0,
      exported.err.join(''),
    );
    const verified = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', file], verified), 0, verified.err.join(''));
    assert.match(verified.out.join(''), /audit chain intact/);
    assert.doesNotMatch(verified.out.join(''), /warning/, 'the export is covered by the checkpoint made first');

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const index = lines.findIndex((line) => line.includes('"action":"user.create"'));
    const seq = (JSON.parse(lines[index]!) as { event: { seq: number } }).event.seq;
    const original = lines[index]!;
    lines[index] = original.replace('user/carol', 'user/carl0');
    assert.notEqual(lines[index], original);
    await writeFile(file, lines.join('\n') + '\n');
    const broken = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', 'audit.jsonl'], broken), 1);
    assert.match(
      broken.err.join(''),
      new RegExp(`AUDIT_CHAIN_BROKEN: first broken entry: seq ${seq} \\(line ${index + 1}\\)`),
    );
    const json = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', 'audit.jsonl', '--json'], json), 1);
    assert.equal((JSON.parse(json.out.join('')) as { error_code: number }).error_code, 1);
  });

  test('verify --public-key pins the audit key', async () => {
    const keyOut = capturedIo(t.root);
    assert.equal(await main(['audit', 'public-key', '--json', ...connection], keyOut), 0);
    const { pem } = (JSON.parse(keyOut.out.join('')) as { data: { pem: string } }).data;
    await writeFile(join(t.root, 'audit.pem'), pem);
    assert.equal(await main(['audit', 'export', '--path', 'fresh.jsonl', ...connection], capturedIo(t.root)), 0);
    assert.equal(await main(['audit', 'verify', 'fresh.jsonl', '--public-key', 'audit.pem'], capturedIo(t.root)), 0);
    await writeFile(
      join(t.root, 'other.pem'),
      (await import('node:crypto')).generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const pinned = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', 'fresh.jsonl', '--public-key', 'other.pem'], pinned), 1);
    assert.match(pinned.err.join(''), /pinned/);
  });

  test('verify --anchor: a checkpoint kept off the node shows an export cut before it', async () => {
    const signed = capturedIo(t.root);
    assert.equal(await main(['audit', 'checkpoint', '--json', ...connection], signed), 0, signed.err.join(''));
    await writeFile(join(t.root, 'anchor.json'), signed.out.join(''));
    const { seq } = (JSON.parse(signed.out.join('')) as { data: { seq: number } }).data;
    assert.equal(await main(['audit', 'export', '--path', 'anchored.jsonl', ...connection], capturedIo(t.root)), 0);
    const anchored = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', 'anchored.jsonl', '--anchor', 'anchor.json'], anchored), 0);
    assert.match(anchored.out.join(''), new RegExp(`anchored at seq:\\s+${seq}\\n`));

    // The export cut just before the anchored event: its own earlier checkpoints still verify.
    const lines = (await readFile(join(t.root, 'anchored.jsonl'), 'utf8')).trimEnd().split('\n');
    const at = lines.findIndex((line) => line.startsWith('{"type":"event"') && line.includes(`"seq":${seq},`));
    await writeFile(join(t.root, 'cut.jsonl'), lines.slice(0, at).join('\n') + '\n');
    const cut = capturedIo(t.root);
    assert.equal(await main(['audit', 'verify', 'cut.jsonl', '--anchor', 'anchor.json'], cut), 1);
    assert.match(cut.err.join(''), /AUDIT_CHAIN_BROKEN: .*before the anchored checkpoint/);
  });

  test('search filters on the node; tail is bounded', async () => {
    const found = capturedIo(t.root);
    assert.equal(
      await main(['audit', 'search', '--action', 'user.*', '--result', 'success', '--json', ...connection], found),
      0,
    );
    const page = (JSON.parse(found.out.join('')) as { data: { events: { action: string }[] } }).data;
    assert.ok(page.events.length >= 1);
    assert.ok(page.events.every((event) => event.action.startsWith('user.')));
    const tail = capturedIo(t.root);
    const started = Date.now();
    assert.equal(
      await main(['audit', 'tail', '--after', '0', '--count', '3', '--duration', '5', ...connection], tail),
      0,
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(tail.out.length, 4, tail.out.join('')); // 3 events and the summary
    const bad = capturedIo(t.root);
    assert.equal(await main(['audit', 'search', '--result', 'maybe', ...connection], bad), 1);
  });
});
