import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile, summarize } from './stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('picks the sample at rank ceil(p/100 * n)', () => {
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile(hundred, 100), 100);
    assert.equal(percentile(hundred, 1), 1);
    assert.equal(percentile(hundred, 0.5), 1);
    assert.equal(percentile([10, 20, 30, 40], 50), 20);
    assert.equal(percentile([10, 20, 30, 40], 51), 30);
  });

  it('never interpolates: the answer is always one of the samples', () => {
    assert.equal(percentile([1, 1000], 50), 1);
    assert.equal(percentile([1, 1000], 99), 1000);
    assert.equal(percentile([7], 99), 7);
  });

  it('is NaN without samples and refuses p outside (0, 100]', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile(hundred, 0), RangeError);
    assert.throws(() => percentile(hundred, 101), RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically (not as strings) and summarizes', () => {
    const summary = summarize([9, 100, 2, 10, 1]);
    assert.deepEqual(summary, { count: 5, min: 1, mean: 24.4, p50: 9, p99: 100, max: 100 });
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });

  it('reports NaN for an empty run', () => {
    const summary = summarize([]);
    assert.equal(summary.count, 0);
    assert.ok(Number.isNaN(summary.p50) && Number.isNaN(summary.p99) && Number.isNaN(summary.mean));
  });
});
