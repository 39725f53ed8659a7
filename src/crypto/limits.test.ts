import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDataLength, MAX_DATA_BYTES } from './limits.js';
import { coffer } from '../../test/support/errors.js';

describe('checkDataLength', () => {
  test('accepts exactly the limit and refuses one byte more', () => {
    assert.equal(MAX_DATA_BYTES, 512 * 1024);
    checkDataLength(Buffer.alloc(MAX_DATA_BYTES));
    assert.throws(
      () => checkDataLength(Buffer.alloc(MAX_DATA_BYTES + 1)),
      coffer('DATA_LEN_RANGE', String(MAX_DATA_BYTES)),
    );
  });

  test('honours a custom limit', () => {
    assert.throws(() => checkDataLength(Buffer.alloc(11), 10), coffer('DATA_LEN_RANGE'));
  });
});
