/**
 * Start time and idle memory of a node, as a user runs it: `coffer node start` as a child
 * process on a dev data dir, timed from spawn to "node started" (self-tests, store, TLS,
 * unseal included), then its resident memory after it has sat idle.
 *
 *   node dist/bench/node-start.js [runs=5] [idleSeconds=5]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCluster } from '../src/cluster/init.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const runs = Number(process.argv[2] ?? 5);
const idleSeconds = Number(process.argv[3] ?? 5);

async function rssKb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function startOnce(
  dataDir: string,
  idle: boolean,
): Promise<{ ms: number; memory?: { rss: number; peak: number } }> {
  const began = performance.now();
  const child = spawn(process.execPath, [CLI, 'node', 'start', '--data-dir', dataDir, '--port', '0'], {
    env: { ...process.env, COFFER_LOG_LEVEL: 'info' },
  });
  let output = '';
  const ms = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"node started"')) resolve(performance.now() - began);
    });
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${output}`)));
  });
  let memory;
  if (idle) {
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    memory = await rssKb(child.pid!);
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { ms, ...(memory && { memory }) };
}

const root = await mkdtemp(join(tmpdir(), 'coffer-bench-start-'));
try {
  const dataDir = join(root, 'data');
  await initCluster({ dataDir, mode: 'dev', seal: { shares: 1, threshold: 1 }, outDir: join(dataDir, 'dev') });
  const times: number[] = [];
  let memory: { rss: number; peak: number } | undefined;
  for (let run = 0; run < runs; run++) {
    const result = await startOnce(dataDir, run === runs - 1);
    times.push(result.ms);
    memory = result.memory ?? memory;
  }
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length / 2)]!;
  console.log(
    `node start (spawn → serving, unsealed), ${runs} runs: p50 ${p50.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms`,
  );
  console.log(
    `idle node after ${idleSeconds} s: RSS ${(memory!.rss / 1024).toFixed(1)} MiB, peak RSS ${(memory!.peak / 1024).toFixed(1)} MiB`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
