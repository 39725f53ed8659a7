import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClusterCa } from '../../pki/index.js';
import { PeerUnsealer } from '../peer-unseal/peer-unsealer.js';
import { ReplayGuard } from '../peer-unseal/replay-guard.js';
import { LoadMeter } from './load-meter.js';
import { decodeMember, encodeMember, type MemberRecord } from './member-record.js';
import { revocationPath, signRevocation, verifyRevocation } from './revocations.js';

const member = (overrides: Partial<MemberRecord> = {}): MemberRecord => ({
  formatVersion: 1,
  nodeId: 'node-a',
  url: 'https://127.0.0.1:2225',
  version: '1.0.0',
  sealed: false,
  health: 'ok',
  load: { inFlight: 0, ratePerSecond: 0 },
  lease: '7',
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('membership records', () => {
  it('decode what a node wrote, and nothing malformed', () => {
    const record = member({ zone: 'eu-1a' });
    assert.deepEqual(decodeMember(encodeMember(record)), record);
    for (const bad of [
      { ...record, formatVersion: 2 },
      { ...record, nodeId: '../x' },
      { ...record, url: 'http://127.0.0.1:1' },
      { ...record, zone: 'a zone' },
      { ...record, sealed: 'no' },
      { ...record, health: 'fine' },
      { ...record, load: { inFlight: -1, ratePerSecond: 0 } },
    ])
      assert.equal(decodeMember(Buffer.from(JSON.stringify(bad))), undefined, JSON.stringify(bad));
    assert.equal(decodeMember(Buffer.from('not json')), undefined);
  });
});

describe('the peers a sealed node asks', () => {
  it('are the unsealed others: own zone first, healthy first, least loaded first', () => {
    const members = [
      member({ nodeId: 'self', zone: 'z1' }),
      member({ nodeId: 'sealed', zone: 'z1', sealed: true }),
      member({ nodeId: 'far-idle', zone: 'z2' }),
      member({ nodeId: 'near-busy', zone: 'z1', load: { inFlight: 9, ratePerSecond: 1 } }),
      member({ nodeId: 'near-idle', zone: 'z1' }),
      member({ nodeId: 'near-degraded', zone: 'z1', health: 'degraded' }),
    ];
    assert.deepEqual(
      PeerUnsealer.candidates(members, 'self', 'z1').map((m) => m.nodeId),
      ['near-idle', 'near-busy', 'near-degraded', 'far-idle'],
    );
    assert.deepEqual(
      PeerUnsealer.candidates(members, 'self', undefined).map((m) => m.nodeId),
      ['far-idle', 'near-idle', 'near-busy', 'near-degraded'],
    );
  });
});

describe('the replay guard', () => {
  it('answers a key once within the window', () => {
    let now = 0;
    const guard = new ReplayGuard(() => now);
    const key = Buffer.alloc(32, 1);
    assert.equal(guard.first(key), true);
    assert.equal(guard.first(key), false);
    assert.equal(guard.first(Buffer.alloc(32, 2)), true);
    now = 11 * 60_000;
    assert.equal(guard.first(Buffer.alloc(32, 3)), true, 'the old ones aged out');
    assert.equal(guard.first(key), true);
  });
});

describe('the load meter', () => {
  it('counts in flight and the rate over the last minute', () => {
    let now = 1_000_000;
    const meter = new LoadMeter(() => now);
    for (let i = 0; i < 120; i++) meter.started();
    meter.finished();
    assert.deepEqual(meter.current(), { inFlight: 119, ratePerSecond: 2 });
    now += 61_000;
    assert.deepEqual(meter.current(), { inFlight: 119, ratePerSecond: 0 });
  });
});

describe('revocation entries', () => {
  it('verify with the CA that signed them, for their cluster and path only', async () => {
    const ca = await createClusterCa({ clusterId: 'c1' });
    const other = await createClusterCa({ clusterId: 'c1' });
    const revocation = { clusterId: 'c1', serialNumber: 'AB01', nodeId: 'node-b', revokedAt: '2026-01-01T00:00:00Z' };
    const value = signRevocation(revocation, ca.privateKey);
    const path = revocationPath('AB01');
    assert.deepEqual(verifyRevocation(path, value, ca.certificatePem, 'c1'), revocation);
    assert.equal(verifyRevocation(path, value, other.certificatePem, 'c1'), undefined, 'another CA');
    assert.equal(verifyRevocation(path, value, ca.certificatePem, 'c2'), undefined, 'another cluster');
    assert.equal(verifyRevocation(revocationPath('AB02'), value, ca.certificatePem, 'c1'), undefined, 'moved');
    const forged = JSON.parse(value.toString()) as Record<string, string>;
    forged.nodeId = 'node-c';
    assert.equal(verifyRevocation(path, Buffer.from(JSON.stringify(forged)), ca.certificatePem, 'c1'), undefined);
    const unsigned = signRevocation(revocation, other.privateKey);
    assert.equal(verifyRevocation(path, unsigned, ca.certificatePem, 'c1'), undefined, 'signed by another key');
  });
});
