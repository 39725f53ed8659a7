import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex } from './mutex.js';

describe('Mutex', () => {
  test('runs tasks one at a time, in arrival order, whatever their durations', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const delays = [30, 1, 15, 0, 5];
    const results = await Promise.all(
      delays.map((delay, index) =>
        mutex.run(async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          log.push(`start ${index}`);
          await sleep(delay);
          log.push(`end ${index}`);
          active--;
          return index * 10;
        }),
      ),
    );
    assert.deepEqual(results, [0, 10, 20, 30, 40]);
    assert.equal(maxActive, 1);
    assert.deepEqual(
      log,
      delays.flatMap((_, index) => [`start ${index}`, `end ${index}`]),
    );
  });

  test('a failing task rejects its own promise and does not block the ones behind it', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    const first = mutex.run(async () => {
      order.push(1);
      await sleep(5);
      throw new Error('boom');
    });
    const second = mutex.run(async () => {
      order.push(2);
      return 'second';
    });
    const third = mutex.run(() => {
      order.push(3);
      return Promise.reject(new Error('sync-ish failure'));
    });
    const fourth = mutex.run(async () => {
      order.push(4);
      return 'fourth';
    });
    await assert.rejects(first, /boom/);
    assert.equal(await second, 'second');
    await assert.rejects(third, /sync-ish failure/);
    assert.equal(await fourth, 'fourth');
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  test('a task does not start before the one ahead of it has settled', async () => {
    const mutex = new Mutex();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let secondStarted = false;
    const first = mutex.run(() => gate);
    const second = mutex.run(async () => {
      secondStarted = true;
    });
    await sleep(10);
    assert.equal(secondStarted, false);
    release();
    await first;
    await second;
    assert.equal(secondStarted, true);
  });

  test('two mutexes do not serialize each other', async () => {
    const a = new Mutex();
    const b = new Mutex();
    let release: () => void = () => undefined;
    const blocked = a.run(() => new Promise<void>((resolve) => (release = resolve)));
    assert.equal(await b.run(async () => 'b ran'), 'b ran');
    release();
    await blocked;
  });
});
