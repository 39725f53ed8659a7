/**
 * The KMS-compatible API beside Coffer's own SDK, against one real node: `coffer node start`
 * as a child process on a fresh dev data dir (activated, a crypto user, its access key and an
 * AES-256 key), then for N seconds each at `concurrency` requests in flight:
 *
 *   KMS Encrypt          1 KiB under a SYMMETRIC_DEFAULT key (@aws-sdk/client-kms, SigV4)
 *   KMS GenerateDataKey  AES_256 under the same key
 *   SDK encrypt          1 KiB, AES_GCM with an AES-256 key (src/client, /v1/crypto/encrypt)
 *   SDK data key         the SDK's equivalent: random(32), then that encrypted under the key
 *                        (two requests: the SDK has no one-call data key)
 *
 * One line each: ops/s, p50/p99 latency and the node's peak resident memory during that run
 * (sampled from /proc). Everything it started is stopped on exit, on failure too.
 *
 *   node dist/bench/kms-compare.js [seconds=10] [concurrency=16]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { runLoad, type LoadResult, type LoadStep } from '../src/bench/runner.js';
import { CofferClient } from '../src/client/client.js';
import { dataDir } from '../src/cluster/data-dir.js';
import { initCluster } from '../src/cluster/init.js';
import { Api } from '../test/support/api.js';
import { freePort } from '../test/support/free-port.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 16);
const PLAINTEXT = randomBytes(1024);
const SAMPLE_MS = 100;

/** The node's resident memory now, in KiB (VmRSS). */
async function rssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function startNode(dir: string, port: number, stops: (() => Promise<void>)[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'node', 'start', '--data-dir', dir, '--port', String(port)], {
    env: { ...process.env, COFFER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stops.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"node started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the node exited with ${code}: ${output.slice(-2000)}`)));
  });
  // Past start, its log is drained and dropped: a full pipe would stall the node.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.resume();
  return child;
}

interface Row {
  readonly name: string;
  readonly result: LoadResult;
  readonly peakKib: number;
}

/** One run of a step, with the node's RSS sampled all along it. */
async function measure(name: string, pid: number, step: LoadStep): Promise<Row> {
  let peakKib = await rssKib(pid);
  const sampler = setInterval(() => {
    void rssKib(pid).then((kib) => (peakKib = Math.max(peakKib, kib)));
  }, SAMPLE_MS);
  try {
    const result = await runLoad({ concurrency, durationMs: seconds * 1000, warmupMs: 1000, step });
    return { name, result, peakKib: Math.max(peakKib, await rssKib(pid)) };
  } finally {
    clearInterval(sampler);
  }
}

function print(rows: readonly Row[]): void {
  console.log(
    `${'operation'.padEnd(22)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'node peak RSS'.padStart(14)}`,
  );
  for (const { name, result, peakKib } of rows)
    console.log(
      [
        name.padEnd(22),
        result.opsPerSec.toFixed(0).padStart(8),
        result.latency.p50.toFixed(2).padStart(8),
        result.latency.p99.toFixed(2).padStart(8),
        `${(peakKib / 1024).toFixed(1)} MiB`.padStart(14),
      ].join(' '),
    );
}

const stops: (() => Promise<void>)[] = [];
const stopAll = async (): Promise<void> => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  stops.length = 0;
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

try {
  const root = await mkdtemp(join(tmpdir(), 'coffer-bench-kms-'));
  stops.push(() => rm(root, { recursive: true, force: true }));
  const dir = dataDir(join(root, 'data'));
  const init = await initCluster({
    dataDir: dir.root,
    mode: 'dev',
    seal: { shares: 1, threshold: 1 },
    outDir: dir.devDir,
  });
  const port = await freePort();
  const node = await startNode(dir.root, port, stops);
  const url = `https://127.0.0.1:${port}`;
  const tls = {
    ca: await readFile(dir.caCert),
    cert: await readFile(init.clientCert!),
    key: await readFile(init.clientKey!),
  };

  // Set up as an operator would: activate, a crypto user, its access key.
  const api = new Api(url, tls);
  stops.push(() => api.close());
  const adminPassword = `admin-${randomBytes(9).toString('base64url')}`;
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  const ok = async (answer: Promise<{ status: number; text: string }>, what: string) => {
    const { status, text } = await answer;
    if (status >= 300) throw new Error(`${what}: ${status} ${text}`);
  };
  await ok(api.call('POST', '/v1/cluster/activate', { body: { password: adminPassword } }), 'activate');
  const admin = await api.login('admin', adminPassword);
  await ok(
    api.call('POST', '/v1/users', { token: admin, body: { username: 'bench', role: 'crypto-user', password } }),
    'create user',
  );
  const token = await api.login('bench', password);
  const created = await api.call<{ accessKeyId: string; secretAccessKey: string }>('POST', '/v1/access-keys', {
    token,
    body: { password },
  });
  if (created.status !== 201) throw new Error(`access key: ${created.text}`);

  const kms = new KMSClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: created.body.accessKeyId, secretAccessKey: created.body.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpsAgent: new Agent({ ...tls, minVersion: 'TLSv1.3', keepAlive: true, maxSockets: concurrency }),
    }),
  });
  stops.push(async () => kms.destroy());
  const kmsKey = (await kms.send(new CreateKeyCommand({ Description: 'bench' }))).KeyMetadata!.KeyId!;

  const client = new CofferClient({ endpoints: [url], ...tls });
  stops.push(() => client.close());
  const session = await client.login('bench', password);
  const sdkKey = (await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32 })).handle;

  console.log(`${seconds} s each, ${concurrency} in flight, 1 KiB plaintext, node pid ${node.pid} on ${url}`);
  const rows: Row[] = [];
  const one =
    (run: () => Promise<unknown>): LoadStep =>
    async () => {
      await run();
      return 1;
    };
  rows.push(
    await measure(
      'KMS Encrypt',
      node.pid!,
      one(() => kms.send(new EncryptCommand({ KeyId: kmsKey, Plaintext: PLAINTEXT }))),
    ),
  );
  rows.push(
    await measure(
      'KMS GenerateDataKey',
      node.pid!,
      one(() => kms.send(new GenerateDataKeyCommand({ KeyId: kmsKey, KeySpec: 'AES_256' }))),
    ),
  );
  rows.push(
    await measure(
      'SDK encrypt',
      node.pid!,
      one(() => session.encrypt({ keyHandle: sdkKey, mechanism: 'AES_GCM', plaintext: PLAINTEXT })),
    ),
  );
  rows.push(
    await measure(
      'SDK data key (2 req)',
      node.pid!,
      one(async () => {
        const dataKey = await session.random(32);
        try {
          await session.encrypt({ keyHandle: sdkKey, mechanism: 'AES_GCM', plaintext: dataKey });
        } finally {
          dataKey.fill(0);
        }
      }),
    ),
  );
  print(rows);
} finally {
  await stopAll();
}
