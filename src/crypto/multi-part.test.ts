import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_DATA_BYTES } from './limits.js';
import { MAX_MULTIPART_BYTES, PartBudget } from './multi-part.js';
import { coffer } from '../../test/support/errors.js';

describe('PartBudget', () => {
  test('counts parts up to the limit and refuses the part that would pass it', () => {
    const budget = new PartBudget(10);
    budget.take(Buffer.alloc(4));
    budget.take(Buffer.alloc(6));
    assert.equal(budget.bytes, 10);
    assert.throws(() => budget.take(Buffer.alloc(1)), coffer('DATA_LEN_RANGE', '10 bytes'));
    assert.equal(budget.bytes, 10, 'a refused part is not counted');
  });

  test('refuses a single part over the single-part limit, and defaults to 16 MiB in all', () => {
    assert.equal(MAX_MULTIPART_BYTES, 16 * 1024 * 1024);
    const budget = new PartBudget();
    assert.throws(() => budget.take(Buffer.alloc(MAX_DATA_BYTES + 1)), coffer('DATA_LEN_RANGE'));
    for (let i = 0; i < MAX_MULTIPART_BYTES / MAX_DATA_BYTES; i++) budget.take(Buffer.alloc(MAX_DATA_BYTES));
    assert.throws(() => budget.take(Buffer.alloc(1)), coffer('DATA_LEN_RANGE'));
  });

  test('refuses parts and a second final after final', () => {
    const budget = new PartBudget();
    budget.finish();
    assert.throws(() => budget.take(Buffer.alloc(1)), coffer('INTERNAL_ERROR'));
    assert.throws(() => budget.finish(), coffer('INTERNAL_ERROR'));
  });
});
