import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchesTemplate, searchPlan } from './matching.js';
import type { Projected } from './projection.js';
import type { AttributeValue, Template } from './value-codec.js';
import type { AttributeTypeName } from './attribute-types.js';

const template = (entries: [AttributeTypeName, AttributeValue][]): Template => new Map(entries);
const shows =
  (values: Partial<Record<AttributeTypeName, Projected>>) =>
  (name: AttributeTypeName): Projected =>
    values[name] ?? 'invalid';

describe('template matching (C_FindObjects)', () => {
  const object = shows({
    CKA_CLASS: { value: 4 },
    CKA_LABEL: { value: Buffer.from('k') },
    CKA_TOKEN: { value: true },
    CKA_VALUE: 'sensitive',
  });

  test('every attribute must equal what the object shows; the empty template matches', () => {
    assert.ok(matchesTemplate(object, template([])));
    assert.ok(
      matchesTemplate(
        object,
        template([
          ['CKA_CLASS', 4],
          ['CKA_LABEL', Buffer.from('k')],
        ]),
      ),
    );
    assert.ok(
      !matchesTemplate(
        object,
        template([
          ['CKA_CLASS', 4],
          ['CKA_LABEL', Buffer.from('K')],
        ]),
      ),
    );
    assert.ok(!matchesTemplate(object, template([['CKA_TOKEN', false]])));
  });

  test('a sensitive attribute, or one the object lacks, never matches — whatever the value', () => {
    for (const value of [Buffer.alloc(0), Buffer.alloc(32), Buffer.from('k')])
      assert.ok(!matchesTemplate(object, template([['CKA_VALUE', value]])));
    assert.ok(!matchesTemplate(object, template([['CKA_MODULUS_BITS', 2048]])));
  });

  test('the search plan narrows by class, key type, label and CKA_ID without losing a match', () => {
    assert.deepEqual(searchPlan(template([])), { keys: {}, objects: true });
    assert.deepEqual(searchPlan(template([['CKA_CLASS', 4]])), { keys: { class: 'secret' }, objects: false });
    assert.deepEqual(searchPlan(template([['CKA_CLASS', 0]])), { objects: true });
    assert.deepEqual(searchPlan(template([['CKA_CLASS', 0x77]])), { objects: false });
    assert.deepEqual(searchPlan(template([['CKA_KEY_TYPE', 0x1f]])), { keys: { keyType: 'aes' }, objects: true });
    assert.deepEqual(searchPlan(template([['CKA_KEY_TYPE', 0x77]])), { objects: true });
    assert.deepEqual(
      searchPlan(
        template([
          ['CKA_LABEL', Buffer.from('x')],
          ['CKA_ID', Buffer.from([1])],
        ]),
      ),
      {
        keys: { label: 'x', id: '01' },
        objects: true,
      },
    );
    // Empty labels and IDs have no index entry: compared on each candidate instead.
    assert.deepEqual(
      searchPlan(
        template([
          ['CKA_LABEL', Buffer.alloc(0)],
          ['CKA_ID', Buffer.alloc(0)],
        ]),
      ),
      {
        keys: {},
        objects: true,
      },
    );
    assert.deepEqual(searchPlan(template([['CKA_LABEL', Buffer.from([0xff])]])), { objects: true });
  });
});
