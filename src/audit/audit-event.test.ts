import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { GENESIS_HASH, chainHash, type AuditEvent } from './audit-event.js';

type Unhashed = Omit<AuditEvent, 'hash'>;

function sampleEvent(overrides: Partial<Unhashed> = {}): Unhashed {
  return {
    actor: 'alice',
    action: 'key.generate',
    target: 'key/0x0000000000000001',
    result: 'success',
    details: { keyType: 'aes', bits: 256, shared: false },
    seq: 7,
    time: '2025-01-01T00:00:00.000Z',
    node: 'node-1',
    prevHash: randomBytes(32).toString('hex'),
    ...overrides,
  };
}

describe('chainHash', () => {
  test('the genesis hash is 64 zeros', () => {
    assert.equal(GENESIS_HASH, '0'.repeat(64));
  });

  test('is SHA-256 of the previous hash bytes followed by the canonical event', () => {
    const event = sampleEvent({ details: { b: 1, a: 'x' } });
    const canonical =
      `{"action":"key.generate","actor":"alice","details":{"a":"x","b":1},"node":"node-1","prevHash":"${event.prevHash}",` +
      `"result":"success","seq":7,"target":"key/0x0000000000000001","time":"2025-01-01T00:00:00.000Z"}`;
    const expected = createHash('sha256')
      .update(Buffer.from(event.prevHash, 'hex'))
      .update(canonical, 'utf8')
      .digest('hex');
    assert.equal(chainHash(event), expected);
    assert.match(chainHash(event), /^[0-9a-f]{64}$/);
  });

  test('is deterministic and independent of key order', () => {
    const event = sampleEvent();
    const reordered: Unhashed = {
      prevHash: event.prevHash,
      node: event.node,
      time: event.time,
      seq: event.seq,
      details: { shared: false, bits: 256, keyType: 'aes' },
      result: event.result,
      target: event.target,
      action: event.action,
      actor: event.actor,
    };
    assert.equal(chainHash(event), chainHash(reordered));
    assert.equal(
      chainHash(event),
      chainHash(JSON.parse(JSON.stringify(event)) as Unhashed),
      'survives a JSON round trip',
    );
  });

  test('changes when any field changes', () => {
    const base = sampleEvent();
    const baseHash = chainHash(base);
    const variants: [string, Unhashed][] = [
      ['actor', { ...base, actor: 'mallory' }],
      ['action', { ...base, action: 'key.delete' }],
      ['target', { ...base, target: 'key/0x0000000000000002' }],
      ['no target', { ...sampleEvent({ prevHash: base.prevHash }), target: undefined }],
      ['result', { ...base, result: 'failure' }],
      ['code', { ...base, code: 'PERMISSION_DENIED' }],
      ['details value', { ...base, details: { keyType: 'aes', bits: 128, shared: false } }],
      ['details type', { ...base, details: { keyType: 'aes', bits: '256', shared: false } }],
      ['seq', { ...base, seq: 8 }],
      ['time', { ...base, time: '2025-01-01T00:00:00.001Z' }],
      ['node', { ...base, node: 'node-2' }],
      ['prevHash', { ...base, prevHash: GENESIS_HASH }],
    ];
    const seen = new Set([baseHash]);
    for (const [name, variant] of variants) {
      const hash = chainHash(variant);
      assert.notEqual(hash, baseHash, name);
      seen.add(hash);
    }
    assert.equal(seen.size, variants.length + 1);
  });

  test('links: each event hashes over the previous one', () => {
    let prevHash = GENESIS_HASH;
    const hashes: string[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const hash = chainHash(sampleEvent({ seq, prevHash }));
      hashes.push(hash);
      prevHash = hash;
    }
    assert.equal(new Set(hashes).size, 3);
    // Recomputing with a different first link changes every later hash.
    let other = randomBytes(32).toString('hex');
    for (let seq = 1; seq <= 3; seq++) {
      other = chainHash(sampleEvent({ seq, prevHash: other }));
      assert.notEqual(other, hashes[seq - 1]);
    }
  });
});
