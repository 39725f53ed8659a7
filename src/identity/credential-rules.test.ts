import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import { PASSWORD_LENGTH, checkPassword, normalizeUsername } from './credential-rules.js';

function hasCode(code: 'USERNAME_INVALID' | 'PASSWORD_INVALID') {
  return (error: unknown): boolean => isCofferError(error, code);
}

describe('normalizeUsername', () => {
  const accepted: [string, string][] = [
    ['alice', 'alice'],
    ['Alice', 'alice'],
    ['ALICE_01', 'alice_01'],
    ['a', 'a'],
    ['_', '_'],
    ['0123456789', '0123456789'],
    ['a'.repeat(31), 'a'.repeat(31)],
    ['B'.repeat(31), 'b'.repeat(31)],
  ];
  for (const [input, expected] of accepted) {
    test(`accepts ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeUsername(input), expected);
    });
  }

  const refused: [string, string][] = [
    ['empty', ''],
    ['32 characters', 'a'.repeat(32)],
    ['a hyphen', 'has-hyphen'],
    ['a space', 'has space'],
    ['a leading space', ' alice'],
    ['a trailing newline', 'alice\n'],
    ['a dot', 'a.b'],
    ['a slash (a path)', 'a/b'],
    ['a NUL', 'a\0b'],
    ['a non-ASCII letter', 'zoë'],
    ['the Kelvin sign, which lower-cases to k', '\u212Aate'],
    ['a dotted capital I, which lower-cases to two code points', '\u0130'],
    ['an emoji', 'a😀'],
  ];
  for (const [name, input] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => normalizeUsername(input), hasCode('USERNAME_INVALID'));
    });
  }
});

describe('checkPassword', () => {
  test('the bounds are 8 and 128 characters', () => {
    assert.deepEqual(PASSWORD_LENGTH, { min: 8, max: 128 });
  });

  const cases: [string, string, boolean][] = [
    ['7 characters', 'x'.repeat(7), false],
    ['8 characters', 'x'.repeat(8), true],
    ['128 characters', 'x'.repeat(128), true],
    ['129 characters', 'x'.repeat(129), false],
    ['empty', '', false],
    ['8 characters with spaces and symbols', 'a b!"#$%', true],
    ['8 non-ASCII characters (counted as characters, not bytes)', 'éèêëàâäö', true],
    ['7 emoji (28 bytes, 14 UTF-16 units, 7 characters)', '😀'.repeat(7), false],
    ['128 emoji', '😀'.repeat(128), true],
    ['129 emoji', '😀'.repeat(129), false],
    ['a NUL', 'password\0', false],
    ['a newline', 'password\n', false],
    ['a tab', 'pass\tword', false],
    ['a carriage return', 'password\r', false],
    ['ESC (0x1b)', 'pass\u001bword', false],
    ['unit separator (0x1f)', 'pass\u001fword', false],
    ['DEL (0x7f)', 'pass\u007fword', false],
  ];
  for (const [name, password, ok] of cases) {
    test(`${ok ? 'accepts' : 'refuses'} ${name}`, () => {
      const buffer = Buffer.from(password, 'utf8');
      if (ok) assert.doesNotThrow(() => checkPassword(buffer));
      else assert.throws(() => checkPassword(buffer), hasCode('PASSWORD_INVALID'));
    });
  }
});
