import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coffer } from '../../test/support/errors.js';
import {
  attributeKind,
  attributeTypeNumber,
  PKCS11_ATTRIBUTE_TYPES,
  type AttributeTypeName,
} from './attribute-types.js';
import {
  dateFromBytes,
  dateToBytes,
  decodeTemplate,
  decodeValue,
  encodeAttribute,
  encodeValue,
  textFromBytes,
  valuesEqual,
} from './value-codec.js';

const n = attributeTypeNumber;

describe('the attribute value codec', () => {
  test('each kind round-trips between the wire and typed values', () => {
    const samples = { bool: true, ulong: 0x1f, 'ulong-list': [0x1081, 0x1087], bytes: Buffer.from([0, 1, 255]) };
    for (const name of Object.keys(PKCS11_ATTRIBUTE_TYPES) as AttributeTypeName[]) {
      const value = samples[attributeKind(name)];
      const wire = encodeValue(name, value);
      assert.ok(valuesEqual(decodeValue(name, wire), value), name);
    }
    assert.equal(encodeValue('CKA_LABEL', Buffer.from('hi')), 'aGk=');
    assert.deepEqual(encodeAttribute('CKA_CLASS', 4), { type: 0, value: 4 });
  });

  test('a value of the wrong kind is ATTRIBUTE_VALUE_INVALID', () => {
    const bad: [AttributeTypeName, unknown][] = [
      ['CKA_TOKEN', 1],
      ['CKA_TOKEN', 'true'],
      ['CKA_VALUE_LEN', -1],
      ['CKA_VALUE_LEN', 1.5],
      ['CKA_VALUE_LEN', 2 ** 53],
      ['CKA_VALUE_LEN', true],
      ['CKA_ALLOWED_MECHANISMS', [1, -2]],
      ['CKA_ALLOWED_MECHANISMS', 5],
      ['CKA_LABEL', 5],
      ['CKA_LABEL', 'not base64!'],
      ['CKA_LABEL', 'aGk'],
    ];
    for (const [name, value] of bad)
      assert.throws(() => decodeValue(name, value), coffer('ATTRIBUTE_VALUE_INVALID'), `${name} ${String(value)}`);
  });

  test('a template: unknown types ATTRIBUTE_TYPE_INVALID, a type twice TEMPLATE_INCONSISTENT, order kept', () => {
    const template = decodeTemplate([
      { type: n('CKA_VALUE_LEN'), value: 32 },
      { type: n('CKA_CLASS'), value: 4 },
    ]);
    assert.deepEqual([...template.keys()], ['CKA_VALUE_LEN', 'CKA_CLASS']);
    assert.throws(() => decodeTemplate([{ type: 0x9999, value: 1 }]), coffer('ATTRIBUTE_TYPE_INVALID'));
    assert.throws(() => decodeTemplate([{ type: -1, value: 1 }]), coffer('ATTRIBUTE_TYPE_INVALID'));
    const twice = [
      { type: n('CKA_TOKEN'), value: true },
      { type: n('CKA_TOKEN'), value: true },
    ];
    assert.throws(() => decodeTemplate(twice), coffer('TEMPLATE_INCONSISTENT'));
  });

  test('values compare exactly, kind by kind', () => {
    assert.ok(valuesEqual(Buffer.from('ab'), Buffer.from('ab')));
    assert.ok(!valuesEqual(Buffer.from('ab'), Buffer.from('abc')));
    assert.ok(!valuesEqual(Buffer.from([1]), 1));
    assert.ok(!valuesEqual(true, 1));
    assert.ok(valuesEqual([1, 2], [1, 2]));
    assert.ok(!valuesEqual([1, 2], [2, 1]));
  });

  test('CK_DATE is YYYYMMDD or empty; text attributes are UTF-8', () => {
    assert.equal(dateToBytes('2026-12-31').toString('ascii'), '20261231');
    assert.equal(dateToBytes(undefined).length, 0);
    assert.equal(dateFromBytes('CKA_END_DATE', Buffer.from('20261231')), '2026-12-31');
    assert.equal(dateFromBytes('CKA_END_DATE', Buffer.alloc(0)), '');
    for (const bad of ['20261301', '2026123', '2026-1-1', '20260230'])
      assert.throws(() => dateFromBytes('CKA_END_DATE', Buffer.from(bad)), coffer('ATTRIBUTE_VALUE_INVALID'), bad);
    assert.equal(textFromBytes('CKA_LABEL', Buffer.from('clé', 'utf8')), 'clé');
    assert.throws(() => textFromBytes('CKA_LABEL', Buffer.from([0xff, 0xfe])), coffer('ATTRIBUTE_VALUE_INVALID'));
  });
});
