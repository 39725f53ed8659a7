import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, chainHash, type AuditEvent } from './audit-event.js';
import { generateAuditKey, type AuditKey } from './audit-key.js';
import { signCheckpoint, type Checkpoint } from './checkpoint.js';
import { EXPORT_FORMAT, exportLine, type ExportLine } from './export-format.js';
import { verifyExport } from './verify.js';

const CLUSTER = '7f1c2a9e-0000-4000-8000-000000000001';
const { key } = generateAuditKey();

/** A chain of `count` events, a checkpoint every `every`, as an export after `after`. */
function exportOf(count: number, every = 5, signer: AuditKey = key, after = 0): string[] {
  const lines: ExportLine[] = [
    { type: 'header', format: EXPORT_FORMAT, clusterId: CLUSTER, publicKey: key.publicKey, keyId: key.keyId, after },
  ];
  let prevHash = after === 0 ? GENESIS_HASH : 'ab'.repeat(32);
  for (let seq = after + 1; seq <= after + count; seq++) {
    const unhashed = {
      actor: seq % 2 ? 'alice' : 'bob',
      action: seq % 3 ? 'key.generate' : 'session.login',
      target: `key/0x${seq.toString(16).padStart(16, '0')}`,
      result: seq % 4 ? ('success' as const) : ('failure' as const),
      ...(seq % 4 ? {} : { code: 'PERMISSION_DENIED' as const }),
      details: { bits: 256, count: seq * 7, shared: seq % 2 === 0, label: `label ${seq}` },
      seq,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      node: 'node-1',
      prevHash,
    };
    const event: AuditEvent = { ...unhashed, hash: chainHash(unhashed) };
    lines.push({ type: 'event', event });
    if (seq % every === 0 || seq === after + count)
      lines.push({ type: 'checkpoint', checkpoint: checkpoint(event, signer) });
    prevHash = event.hash;
  }
  return lines.map(exportLine);
}

function checkpoint(event: AuditEvent, signer: AuditKey = key, clusterId = CLUSTER): Checkpoint {
  return signCheckpoint({ seq: event.seq, hash: event.hash, time: event.time, node: 'node-1', clusterId }, signer);
}

const text = (lines: readonly string[]): string => lines.join('\n') + '\n';
const eventLines = (lines: readonly string[]) =>
  lines.flatMap((line, index) => (line.startsWith('{"type":"event"') ? [{ line, index }] : []));
const seqOf = (line: string): number => (JSON.parse(line) as { event: AuditEvent }).event.seq;

/** Byte positions worth changing in an event line: inside strings, numbers, keys, hashes, punctuation. */
function positions(line: string): number[] {
  const found = new Set<number>([0, 1, line.length - 1, line.length - 2]);
  for (const needle of [
    '"seq":',
    '"count":',
    '"bits":',
    '"actor":"',
    '"time":"',
    '"label":"',
    '"hash":"',
    '"prevHash":"',
    '"node":"',
  ]) {
    const at = line.indexOf(needle);
    if (at >= 0) {
      found.add(at + 1); // the key name itself
      found.add(at + needle.length); // the first byte of the value
      found.add(at + needle.length + 1);
    }
  }
  found.add(line.indexOf('"event"') + 2);
  found.add(line.indexOf(',"result"'));
  return [...found].filter((position) => position >= 0 && position < line.length);
}

function changeByte(line: string, position: number): string {
  const bytes = Buffer.from(line, 'utf8');
  const original = bytes[position]!;
  // Another printable byte of the same class where possible (a digit for a digit, a letter for a letter).
  bytes[position] =
    original >= 0x30 && original <= 0x39
      ? 0x30 + ((original - 0x30 + 1) % 10)
      : original === 0x7a
        ? 0x61
        : original + 1;
  return bytes.toString('utf8');
}

describe('verifyExport', () => {
  test('a fresh export is intact', () => {
    const result = verifyExport(text(exportOf(23)));
    assert.equal(result.ok, true, JSON.stringify(result.broken));
    assert.equal(result.events, 23);
    assert.equal(result.checkpoints, 5);
    assert.equal(result.lastCheckpointSeq, 23);
    assert.equal(result.unsignedTail, 0);
    assert.equal(result.clusterId, CLUSTER);
  });

  test('an empty log (header only) is intact', () => {
    assert.equal(verifyExport(text(exportOf(0))).ok, true);
  });

  test('changing any byte at many positions of every event fails, naming that event', () => {
    const lines = exportOf(12, 4);
    let tried = 0;
    for (const { line, index } of eventLines(lines)) {
      const seq = seqOf(line);
      for (const position of positions(line)) {
        const changed = [...lines];
        changed[index] = changeByte(line, position);
        assert.notEqual(changed[index], line);
        const result = verifyExport(text(changed));
        assert.equal(result.ok, false, `seq ${seq}, byte ${position} changed: still verifies`);
        assert.equal(result.broken?.seq, seq, `seq ${seq}, byte ${position}: ${result.broken?.reason}`);
        assert.equal(result.broken?.line, index + 1);
        tried++;
      }
    }
    assert.ok(tried > 12 * 20, `tried ${tried} changes`);
  });

  test('changing every single byte of one event fails', () => {
    const lines = exportOf(6, 3);
    const { line, index } = eventLines(lines)[2]!;
    for (let position = 0; position < Buffer.byteLength(line); position++) {
      const changed = [...lines];
      changed[index] = changeByte(line, position);
      const result = verifyExport(text(changed));
      assert.equal(result.broken?.seq, 3, `byte ${position}`);
    }
  });

  test('removing an event fails at its sequence number', () => {
    const lines = exportOf(10);
    const { index } = eventLines(lines)[3]!;
    const result = verifyExport(text(lines.filter((_, at) => at !== index)));
    assert.equal(result.ok, false);
    assert.equal(result.broken?.seq, 4);
    assert.match(result.broken!.reason, /expected sequence number 4, found 5/);
  });

  test('removing the first event fails', () => {
    const lines = exportOf(3);
    assert.equal(verifyExport(text(lines.filter((_, at) => at !== 1))).broken?.seq, 1);
  });

  test('reordering two events fails', () => {
    const lines = exportOf(10);
    const [a, b] = [eventLines(lines)[6]!, eventLines(lines)[7]!];
    const swapped = [...lines];
    swapped[a.index] = b.line;
    swapped[b.index] = a.line;
    const result = verifyExport(text(swapped));
    assert.equal(result.ok, false);
    assert.equal(result.broken?.seq, 7);
  });

  test('an event renumbered and re-hashed still breaks the next link', () => {
    const lines = exportOf(6);
    const { line, index } = eventLines(lines)[2]!;
    const { event } = JSON.parse(line) as { event: AuditEvent };
    const { hash: _hash, ...rest } = { ...event, actor: 'mallory' };
    const changed = [...lines];
    changed[index] = exportLine({ type: 'event', event: { ...rest, hash: chainHash(rest) } });
    assert.equal(verifyExport(text(changed)).broken?.seq, 4);
  });

  test('a checkpoint re-signed with another key fails', () => {
    const forged = exportOf(10, 5, generateAuditKey().key);
    const result = verifyExport(text(forged));
    assert.equal(result.ok, false);
    assert.equal(result.broken?.seq, 5);
    assert.match(result.broken!.reason, /another audit key/);
  });

  test('a checkpoint signed by another key but claiming the header key fails', () => {
    const lines = exportOf(10);
    const index = lines.findIndex((line) => line.startsWith('{"type":"checkpoint"'));
    const { checkpoint: original } = JSON.parse(lines[index]!) as { checkpoint: Checkpoint };
    const other = checkpoint(JSON.parse(lines[index - 1]!).event as AuditEvent, generateAuditKey().key);
    const changed = [...lines];
    changed[index] = exportLine({ type: 'checkpoint', checkpoint: { ...other, publicKey: original.publicKey } });
    const result = verifyExport(text(changed));
    assert.equal(result.broken?.seq, 5);
    assert.match(result.broken!.reason, /signature does not verify/);
  });

  test('an altered checkpoint fails (every byte of it)', () => {
    const lines = exportOf(10);
    const index = lines.findIndex((line) => line.startsWith('{"type":"checkpoint"'));
    const line = lines[index]!;
    for (let position = 0; position < line.length; position++) {
      const changed = [...lines];
      changed[index] = changeByte(line, position);
      assert.equal(verifyExport(text(changed)).ok, false, `checkpoint byte ${position}`);
    }
  });

  test('a checkpoint moved to another position fails', () => {
    const lines = exportOf(10);
    const index = lines.findIndex((line) => line.startsWith('{"type":"checkpoint"'));
    const moved = [...lines];
    const [line] = moved.splice(index, 1);
    moved.splice(index + 1, 0, line!);
    assert.equal(verifyExport(text(moved)).broken?.seq, 6);
  });

  test('a chain with no checkpoint is not accepted as signed', () => {
    const lines = exportOf(4).filter((line) => !line.startsWith('{"type":"checkpoint"'));
    const result = verifyExport(text(lines));
    assert.equal(result.ok, false);
    assert.match(result.broken!.reason, /no checkpoint/);
  });

  test('events after the last checkpoint are reported as unsigned', () => {
    const lines = exportOf(10, 5);
    lines.pop(); // the last checkpoint (seq 10)
    const result = verifyExport(text(lines));
    assert.equal(result.ok, true);
    assert.equal(result.lastCheckpointSeq, 5);
    assert.equal(result.unsignedTail, 5);
  });

  test('a partial export verifies from its first sequence number and prevHash', () => {
    const lines = exportOf(8, 4, key, 100);
    const result = verifyExport(text(lines));
    assert.equal(result.ok, true, JSON.stringify(result.broken));
    assert.equal(result.firstSeq, 101);
    assert.equal(verifyExport(text(lines.filter((_, at) => at !== 1))).broken?.seq, 101);
  });

  test('a pinned key must be the header key', () => {
    const lines = exportOf(3);
    assert.equal(verifyExport(text(lines), { publicKey: key.publicKeyPem }).ok, true);
    const other = generateAuditKey().key;
    assert.match(verifyExport(text(lines), { publicKey: other.publicKeyPem }).broken!.reason, /pinned/);
    // The whole export re-signed with another key (header included) fails against the pin.
    const resigned = exportOf(3, 5, other).map((line, at) =>
      at === 0 ? line.replace(key.publicKey, other.publicKey).replace(key.keyId, other.keyId) : line,
    );
    assert.equal(verifyExport(text(resigned)).ok, true);
    assert.equal(verifyExport(text(resigned), { publicKey: key.publicKey }).ok, false);
  });

  test('a missing or foreign header fails', () => {
    const lines = exportOf(3);
    assert.equal(verifyExport(text(lines.slice(1))).ok, false);
    assert.equal(verifyExport('').ok, false);
    assert.equal(verifyExport(text([lines[0]!.replace(EXPORT_FORMAT, 'other-v1'), ...lines.slice(1)])).ok, false);
  });

  test('a blank line inside the export fails', () => {
    const lines = exportOf(3);
    lines.splice(2, 0, '');
    assert.equal(verifyExport(text(lines)).broken?.seq, 2);
  });

  describe('anchored on a checkpoint kept off the node', () => {
    const full = exportOf(12, 4);
    /** The checkpoint an operator exported at seq 8, before the log was cut. */
    const anchor = (
      JSON.parse(full.find((line) => line.includes('"type":"checkpoint"') && line.includes('"seq":8'))!) as {
        checkpoint: Checkpoint;
      }
    ).checkpoint;

    test('an export that holds the anchored seq with its hash verifies, and says so', () => {
      const report = verifyExport(text(full), { anchor });
      assert.equal(report.ok, true, report.broken?.reason);
      assert.equal(report.anchoredSeq, 8);
    });

    test('an export truncated before the anchor (a re-signed shorter chain) fails', () => {
      // The node's own signatures cover the cut chain: only the anchor shows what is missing.
      const cut = exportOf(6, 3);
      assert.equal(verifyExport(text(cut)).ok, true, 'intact on its own');
      const report = verifyExport(text(cut), { anchor });
      assert.equal(report.ok, false);
      assert.equal(report.broken?.seq, 7);
      assert.match(report.broken!.reason, /before the anchored checkpoint/);
    });

    test('another chain at the anchored seq fails there', () => {
      const forked = exportOf(12, 4).map((line) => line.replace('"label 3"', '"label three"'));
      // Re-hash the forked chain so it is intact on its own.
      const relinked = relink(forked);
      assert.equal(verifyExport(text(relinked)).ok, true);
      assert.equal(verifyExport(text(relinked), { anchor }).broken?.seq, 8);
    });

    test('an anchor that is altered, of another key or cluster, or before the export starts fails', () => {
      for (const bad of [
        { ...anchor, hash: 'cd'.repeat(32) },
        { ...anchor, seq: 9 },
        checkpointAt(anchor, generateAuditKey().key),
        checkpointAt(anchor, key, 'another-cluster'),
      ])
        assert.equal(verifyExport(text(full), { anchor: bad }).ok, false, JSON.stringify(bad));
      assert.equal(verifyExport(text(exportOf(3, 3, key, 8)), { anchor }).ok, false);
    });
  });
});

function checkpointAt(at: Checkpoint, signer: AuditKey, clusterId = CLUSTER): Checkpoint {
  return signCheckpoint({ seq: at.seq, hash: at.hash, time: at.time, node: at.node, clusterId }, signer);
}

/** An export's events re-hashed and its checkpoints re-signed, as a forger with the key would. */
function relink(lines: readonly string[]): string[] {
  let prevHash = GENESIS_HASH;
  let last: AuditEvent | undefined;
  return lines.map((line, index) => {
    if (index === 0) return line;
    const parsed = JSON.parse(line) as ExportLine;
    if (parsed.type === 'event') {
      const { hash: _hash, ...rest } = parsed.event;
      const unhashed = { ...rest, prevHash };
      last = { ...unhashed, hash: chainHash(unhashed) };
      prevHash = last.hash;
      return exportLine({ type: 'event', event: last });
    }
    return exportLine({ type: 'checkpoint', checkpoint: checkpoint(last!) });
  });
}
