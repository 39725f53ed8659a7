import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyRecord } from '../objects/key-record.js';
import type { KmsGrant } from '../objects/kms-metadata.js';
import type { KmsKeyRecord } from './context.js';
import { pastDeletion } from './due.js';
import { planKmsChange, type KmsChange } from './key-changes.js';

const NOW = '2026-06-01T00:00:00.000Z';

function key(state: KeyRecord['state'], extra: Partial<KmsKeyRecord['kms']> = {}): KmsKeyRecord {
  return {
    handle: '0x0123456789abcdef',
    class: 'secret',
    keyType: 'aes',
    label: '',
    id: '',
    attributes: {},
    shape: { valueLen: 32 },
    checkValue: '',
    owner: 'alice',
    sharedWith: [],
    state,
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
    kms: {
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      description: '',
      origin: 'AWS_KMS',
      tags: [],
      rotations: [],
      grants: [],
      ...extra,
    },
  };
}

const grant = (grantId: string, grantee: string): KmsGrant => ({
  grantId,
  grantee,
  granteePrincipal: grantee,
  operations: ['Decrypt'],
  createdAt: NOW,
});

test('the state table: what each state allows, and where it leads', () => {
  const cases: [KeyRecord['state'], KmsChange, KeyRecord['state'] | 'KMS_INVALID_STATE'][] = [
    ['enabled', { kind: 'disable' }, 'disabled'],
    ['disabled', { kind: 'enable' }, 'enabled'],
    ['enabled', { kind: 'schedule-deletion', deletionDate: NOW }, 'pending-deletion'],
    ['disabled', { kind: 'schedule-deletion', deletionDate: NOW }, 'pending-deletion'],
    ['pending-deletion', { kind: 'cancel-deletion' }, 'disabled'],
    ['pending-deletion', { kind: 'enable' }, 'KMS_INVALID_STATE'],
    ['pending-deletion', { kind: 'schedule-deletion', deletionDate: NOW }, 'KMS_INVALID_STATE'],
    ['pending-deletion', { kind: 'description', description: 'x' }, 'KMS_INVALID_STATE'],
    ['pending-deletion', { kind: 'grant', grant: grant('g1', 'bob') }, 'KMS_INVALID_STATE'],
    ['enabled', { kind: 'cancel-deletion' }, 'KMS_INVALID_STATE'],
    ['destroyed', { kind: 'enable' }, 'KMS_INVALID_STATE'],
  ];
  for (const [state, change, expected] of cases) {
    const planned = planKmsChange(key(state), change, NOW);
    assert.equal(planned.ok ? planned.record.state : planned.code, expected, `${state} ${change.kind}`);
  }
});

test('a cancelled deletion forgets its date; a scheduled one records it', () => {
  const scheduled = planKmsChange(key('enabled'), { kind: 'schedule-deletion', deletionDate: NOW }, NOW);
  assert.ok(scheduled.ok);
  assert.equal((scheduled.record as KmsKeyRecord).kms.deletionDate, NOW);
  const cancelled = planKmsChange(scheduled.record, { kind: 'cancel-deletion' }, NOW);
  assert.ok(cancelled.ok);
  assert.equal((cancelled.record as KmsKeyRecord).kms.deletionDate, undefined);
});

test("grants share the key; the share goes with the grantee's last grant", () => {
  const one = planKmsChange(key('enabled'), { kind: 'grant', grant: grant('g1', 'bob') }, NOW);
  assert.ok(one.ok);
  assert.deepEqual(one.record.sharedWith, ['bob']);
  const two = planKmsChange(one.record, { kind: 'grant', grant: grant('g2', 'bob') }, NOW);
  assert.ok(two.ok);
  assert.deepEqual(two.record.sharedWith, ['bob']);
  const first = planKmsChange(two.record, { kind: 'remove-grant', grantId: 'g1' }, NOW);
  assert.ok(first.ok);
  assert.deepEqual(first.record.sharedWith, ['bob'], 'g2 still grants');
  const last = planKmsChange(first.record, { kind: 'remove-grant', grantId: 'g2' }, NOW);
  assert.ok(last.ok);
  assert.deepEqual(last.record.sharedWith, []);
  const missing = planKmsChange(last.record, { kind: 'remove-grant', grantId: 'g2' }, NOW);
  assert.equal(missing.ok ? 'ok' : missing.code, 'KMS_GRANT_NOT_FOUND');
});

test('tags: a key of the same name is replaced; 50 at most', () => {
  const tagged = planKmsChange(
    key('enabled', { tags: [{ TagKey: 'a', TagValue: '1' }] }),
    { kind: 'tag', tags: [{ TagKey: 'a', TagValue: '2' }] },
    NOW,
  );
  assert.ok(tagged.ok);
  assert.deepEqual((tagged.record as KmsKeyRecord).kms.tags, [{ TagKey: 'a', TagValue: '2' }]);
  const many = Array.from({ length: 51 }, (_, index) => ({ TagKey: `t${index}`, TagValue: '' }));
  const refused = planKmsChange(key('enabled'), { kind: 'tag', tags: many }, NOW);
  assert.equal(refused.ok ? 'ok' : refused.code, 'KMS_TAG_INVALID');
});

test('a key is past its deletion only when pending and its date has come', () => {
  const date = '2026-06-08T00:00:00.000Z';
  assert.equal(pastDeletion(key('pending-deletion', { deletionDate: date }), new Date('2026-06-07T23:59:59Z')), false);
  assert.equal(pastDeletion(key('pending-deletion', { deletionDate: date }), new Date('2026-06-08T00:00:00Z')), true);
  assert.equal(pastDeletion(key('disabled', { deletionDate: date }), new Date('2026-07-01T00:00:00Z')), false);
});

test('a change of a record without KMS metadata is refused as not found', () => {
  const { kms: _kms, ...plain } = key('enabled');
  const planned = planKmsChange(plain, { kind: 'enable' }, NOW);
  assert.equal(planned.ok ? 'ok' : planned.code, 'KEY_NOT_FOUND');
});

test('a key of imported material: tagged and scheduled while pending import, back to pending import on cancel, never rotated', () => {
  const waiting = key('pending-import', { origin: 'EXTERNAL' });
  for (const change of [
    { kind: 'description', description: 'd' },
    { kind: 'tag', tags: [{ TagKey: 'a', TagValue: 'b' }] },
  ] as const) {
    const planned = planKmsChange(waiting, change, NOW);
    assert.ok(planned.ok && planned.record.state === 'pending-import', change.kind);
  }
  for (const kind of ['enable', 'disable'] as const)
    assert.equal(planKmsChange(waiting, { kind }, NOW).ok, false, kind);
  const scheduled = planKmsChange(waiting, { kind: 'schedule-deletion', deletionDate: NOW }, NOW);
  assert.ok(scheduled.ok && scheduled.record.state === 'pending-deletion');
  const cancelled = planKmsChange(scheduled.record, { kind: 'cancel-deletion' }, NOW);
  assert.ok(cancelled.ok && cancelled.record.state === 'pending-import', 'no material: it waits for it again');
  const imported = key('pending-deletion', {
    origin: 'EXTERNAL',
    imported: { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
  });
  const restored = planKmsChange(imported, { kind: 'cancel-deletion' }, NOW);
  assert.ok(restored.ok && restored.record.state === 'disabled', 'with material: disabled, as any key');
  const rotation = { kind: 'rotation', rotation: { periodDays: 365, nextRotationDate: NOW } } as const;
  const rotated = planKmsChange(
    key('enabled', { origin: 'EXTERNAL', imported: imported.kms.imported! }),
    rotation,
    NOW,
  );
  assert.ok(!rotated.ok && rotated.code === 'KMS_OPERATION_UNSUPPORTED');
});
