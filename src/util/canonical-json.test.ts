import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, type JsonValue } from './canonical-json.js';

describe('canonicalJson', () => {
  const cases: [string, JsonValue, string][] = [
    ['keys sorted', { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    [
      'nested objects sorted at every level',
      { z: { y: 1, x: [{ b: true, a: null }] }, a: 'first' },
      '{"a":"first","z":{"x":[{"a":null,"b":true}],"y":1}}',
    ],
    ['arrays keep their order', [3, 1, 2], '[3,1,2]'],
    ['empty object and array', { o: {}, a: [] }, '{"a":[],"o":{}}'],
    ['scalars', [null, true, false, 0, -1.5, 'x'], '[null,true,false,0,-1.5,"x"]'],
    ['strings escaped as JSON', { 'q"k': 'a"b\\c\n\u0001' }, '{"q\\"k":"a\\"b\\\\c\\n\\u0001"}'],
    [
      'keys sort by UTF-16 code unit (uppercase before lowercase)',
      { b: 1, B: 2, a: 3, _: 4 },
      '{"B":2,"_":4,"a":3,"b":1}',
    ],
    ['non-ASCII kept as is', { é: 'ü' }, '{"é":"ü"}'],
  ];
  for (const [name, value, expected] of cases) {
    test(name, () => {
      assert.equal(canonicalJson(value), expected);
      assert.deepEqual(JSON.parse(canonicalJson(value)), value, 'it parses back to the same value');
    });
  }

  test('the same value built in another insertion order gives the same text', () => {
    const a: JsonValue = { seq: 1, actor: 'alice', details: { n: 1, m: 'x' } };
    const b: JsonValue = { details: { m: 'x', n: 1 }, actor: 'alice', seq: 1 };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.notEqual(canonicalJson(a), JSON.stringify(b), 'plain JSON.stringify would differ');
  });

  test('refuses NaN and infinities, also nested', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.throws(() => canonicalJson(value), TypeError);
      assert.throws(() => canonicalJson({ a: { b: [1, value] } }), TypeError);
    }
  });

  test('an object member that is undefined is left out, as JSON.stringify does', () => {
    const withUndefined = { b: 1, a: undefined } as unknown as JsonValue;
    assert.equal(canonicalJson(withUndefined), '{"b":1}');
    assert.equal(canonicalJson(withUndefined), canonicalJson(JSON.parse(JSON.stringify(withUndefined)) as JsonValue));
  });

  test('refuses undefined where JSON has no place for it', () => {
    assert.throws(() => canonicalJson(undefined as unknown as JsonValue), TypeError);
    assert.throws(() => canonicalJson([1, undefined] as unknown as JsonValue), TypeError);
  });
});
