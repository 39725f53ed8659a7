import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { runLoad } from './runner.js';

/** A clock the fake operation advances: every request takes exactly `costMs`. */
function fakeClock() {
  let time = 0;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe('runLoad', () => {
  it('stops at the duration: no request starts after the deadline', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const result = await runLoad({
      concurrency: 1,
      durationMs: 100,
      now: clock.now,
      step: async () => {
        starts.push(clock.now());
        clock.advance(7);
        return 1;
      },
    });
    // Requests start at 0, 7, …, 98 (the last one < 100): 15 of them.
    assert.equal(result.requests, 15);
    assert.equal(result.operations, 15);
    assert.ok(starts.every((start) => start < 100));
    assert.equal(result.elapsedMs, 105);
    assert.equal(result.latency.p50, 7);
    assert.equal(result.latency.p99, 7);
    assert.ok(Math.abs(result.opsPerSec - 15 / 0.105) < 1e-9);
  });

  it('counts the operations each request carried (batches) and discards the warm-up', async () => {
    const clock = fakeClock();
    const result = await runLoad({
      concurrency: 1,
      durationMs: 50,
      warmupMs: 20,
      now: clock.now,
      step: async () => {
        clock.advance(10);
        return 64;
      },
    });
    assert.equal(result.requests, 5);
    assert.equal(result.operations, 5 * 64);
  });

  it('with real time and many workers, ends within one request of the deadline', async () => {
    const began = performance.now();
    const result = await runLoad({ concurrency: 8, durationMs: 200, step: () => sleep(15).then(() => 1) });
    const took = performance.now() - began;
    assert.ok(took >= 200 && took < 200 + 15 + 100, `took ${took} ms`);
    assert.ok(result.requests > 8 * 5, `${result.requests} requests`);
  });

  it('stops every worker at the first error and throws it', async () => {
    let calls = 0;
    await assert.rejects(
      runLoad({
        concurrency: 4,
        durationMs: 10_000,
        step: async () => {
          calls += 1;
          await sleep(1);
          if (calls > 10) throw new Error('KEY_NOT_FOUND');
          return 1;
        },
      }),
      /KEY_NOT_FOUND/,
    );
    assert.ok(calls < 20, `${calls} calls`);
  });

  it('reports progress while it runs', async () => {
    const seen: number[] = [];
    await runLoad({
      concurrency: 2,
      durationMs: 120,
      progressIntervalMs: 30,
      onProgress: (progress) => seen.push(progress.requests),
      step: () => sleep(5).then(() => 1),
    });
    assert.ok(seen.length >= 2, `${seen.length} progress reports`);
  });

  it('refuses a nonsensical concurrency or duration', async () => {
    await assert.rejects(runLoad({ concurrency: 0, durationMs: 1, step: async () => 1 }), RangeError);
    await assert.rejects(runLoad({ concurrency: 1, durationMs: 0, step: async () => 1 }), RangeError);
  });
});
