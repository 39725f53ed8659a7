import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isCofferError } from '../errors/coffer-error.js';
import { newHandle, parseHandle } from './key-handle.js';

describe('key handles', () => {
  test('newHandle is 0x and 16 lowercase hex digits, never zero, and random', () => {
    const handles = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const handle = newHandle();
      assert.match(handle, /^0x[0-9a-f]{16}$/);
      assert.notEqual(handle, '0x0000000000000000');
      assert.equal(parseHandle(handle), handle, 'a new handle parses to itself');
      handles.add(handle);
    }
    assert.equal(handles.size, 1000);
  });

  const normalised: [string, string][] = [
    ['0x1', '0x0000000000000001'],
    ['0x00000001', '0x0000000000000001'],
    ['0xABCDEF', '0x0000000000abcdef'],
    ['0xAbCdEf0123456789', '0xabcdef0123456789'],
    ['0xffffffffffffffff', '0xffffffffffffffff'],
    ['0x8000000000000000', '0x8000000000000000'],
  ];
  for (const [input, expected] of normalised) {
    test(`parseHandle(${JSON.stringify(input)}) is ${expected}`, () => {
      assert.equal(parseHandle(input), expected);
    });
  }

  const refused: [string, string][] = [
    ['empty', ''],
    ['bare 0x', '0x'],
    ['0x0', '0x0'],
    ['zero, 16 digits', '0x0000000000000000'],
    ['no prefix', '1234'],
    ['x without 0', 'x1'],
    ['17 digits', '0x1' + '0'.repeat(16)],
    ['17 digits with a leading zero', '0x0' + '1'.repeat(16)],
    ['a non-hex digit', '0x12g4'],
    ['a leading space', ' 0x1'],
    ['a trailing space', '0x1 '],
    ['a trailing newline', '0x1\n'],
    ['a sign', '0x-1'],
    ['decimal', '42'],
    ['a path', 'key/0x1'],
  ];
  for (const [name, input] of refused) {
    test(`parseHandle refuses ${name} with KEY_NOT_FOUND`, () => {
      assert.throws(
        () => parseHandle(input),
        (error: unknown) => isCofferError(error, 'KEY_NOT_FOUND'),
      );
    });
  }
});
