import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliIo } from '../io.js';
import { main } from '../main.js';
import { benchJson, formatBenchTable, parseBenchOptions, type BenchRow } from './bench.js';

function bufferIo(): CliIo & { out: string; err: string } {
  return {
    env: {},
    cwd: process.cwd(),
    interactive: false,
    out: '',
    err: '',
    writeOut(text) {
      this.out += text;
    },
    writeErr(text) {
      this.err += text;
    },
    promptLine: () => Promise.reject(new Error('no prompt in tests')),
    promptSecret: () => Promise.reject(new Error('no prompt in tests')),
  };
}

describe('parseBenchOptions', () => {
  it('takes repeated and comma-separated operations, a concurrency list, duration and batch', () => {
    assert.deepEqual(
      parseBenchOptions({
        operation: ['rsa2048-sign', 'p256-sign,aes256-gcm-1k-encrypt', 'p256-sign'],
        concurrency: '1,16, 64,16',
        duration: '2.5',
        batch: '64',
      }),
      {
        operations: ['rsa2048-sign', 'p256-sign', 'aes256-gcm-1k-encrypt'],
        concurrencies: [1, 16, 64],
        durationMs: 2500,
        batch: 64,
      },
    );
  });

  it('defaults to concurrency 1, 10 seconds, single requests', () => {
    assert.deepEqual(parseBenchOptions({ operation: ['aes-keygen'] }), {
      operations: ['aes-keygen'],
      concurrencies: [1],
      durationMs: 10_000,
      batch: 1,
    });
  });

  it('refuses what it cannot run, naming the flag', () => {
    assert.throws(() => parseBenchOptions({}), { code: 'MISSING_ARGUMENT' });
    assert.throws(() => parseBenchOptions({ operation: ['rsa4096-sign'] }), /--operation rsa4096-sign/);
    for (const concurrency of ['0', '-1', 'x', '1,,2000', '1.5'])
      assert.throws(() => parseBenchOptions({ operation: ['p256-sign'], concurrency }), /--concurrency/, concurrency);
    for (const duration of ['0', '-3', 'ten', '99999', '0.01'])
      assert.throws(() => parseBenchOptions({ operation: ['p256-sign'], duration }), /--duration/, duration);
    for (const batch of ['0', '1001', 'many'])
      assert.throws(() => parseBenchOptions({ operation: ['p256-sign'], batch }), /--batch/, batch);
  });
});

const ROWS: BenchRow[] = [
  {
    operation: 'p256-sign',
    concurrency: 16,
    batch: 64,
    opsPerSec: 12345.678,
    p50Ms: 64,
    p99Ms: 90.5,
    operations: 123456,
    requests: 1929,
    seconds: 10,
  },
  {
    operation: 'aes-keygen',
    concurrency: 1,
    batch: 1,
    opsPerSec: 200,
    p50Ms: 5,
    p99Ms: 9,
    operations: 2000,
    requests: 2000,
    seconds: 10,
  },
];

describe('bench output', () => {
  it('--json is {"results":[…]} with the required fields', () => {
    const parsed = JSON.parse(benchJson(ROWS)) as { results: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(parsed), ['results']);
    assert.equal(parsed.results.length, 2);
    for (const result of parsed.results)
      for (const field of ['operation', 'concurrency', 'opsPerSec', 'p50Ms', 'p99Ms'])
        assert.ok(field in result, field);
    assert.deepEqual(
      { ...parsed.results[0] },
      {
        operation: 'p256-sign',
        concurrency: 16,
        opsPerSec: 12345.7,
        p50Ms: 64,
        p99Ms: 90.5,
        batch: 64,
        operations: 123456,
        requests: 1929,
        seconds: 10,
      },
    );
  });

  it('the table says latency is per request and shows the amortized per-operation figure for batches', () => {
    const text = formatBenchTable(ROWS);
    assert.match(text, /per request/);
    assert.match(text, /operation\s+concurrency\s+batch\s+ops\/s\s+p50 ms\s+p99 ms\s+p50 ms\/op/);
    assert.match(text, /p256-sign\s+16\s+64\s+12346\s+64\.00\s+90\.50\s+1\.000/);
  });
});

describe('coffer bench (usage)', () => {
  it('is registered and refuses an unknown operation before connecting, in the JSON failure shape', async () => {
    const io = bufferIo();
    const code = await main(['bench', '--operation', 'nope', '--json'], io);
    assert.equal(code, 1);
    const answer = JSON.parse(io.out) as { error_code: number; data: string };
    assert.equal(answer.error_code, 1);
    assert.match(answer.data, /^INVALID_ARGUMENT: --operation nope/);
  });
});
