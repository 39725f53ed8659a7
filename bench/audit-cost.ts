/**
 * The cost of audit on the hot path, in one process: a dev node started in-process, driven over
 * real TLS by the SDK.
 *   1. durable AES-256 key generations per second with the audit chain on (the normal build:
 *      every generation commits its key and its audit event, group-committed);
 *   2. ECDSA P-256 signatures per second, without and with per-operation crypto logging
 *      (`auditCryptoUse`: every signature appends a `crypto.sign` event through the writer);
 *   3. key generations per second while signatures run alongside, without and with logging.
 *
 *   node dist/bench/audit-cost.js [seconds=5] [concurrency=32]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CofferClient, type CofferSession } from '../src/client/index.js';
import { dataDir } from '../src/cluster/data-dir.js';
import { initCluster } from '../src/cluster/init.js';
import { startNode, type RunningNode } from '../src/cluster/node.js';
import { createLogger } from '../src/util/logger.js';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 32);
const ADMIN_PASSWORD = 'bench-audit-admin-password-1';
const USER_PASSWORD = 'bench-audit-user-password-1';

/** Runs `operation` from `workers` loops for `ms`; the completed count per second. */
async function rate(workers: number, ms: number, operation: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const root = await mkdtemp(join(tmpdir(), 'coffer-bench-audit-'));
const dir = dataDir(join(root, 'data'));
const init = await initCluster({
  dataDir: dir.root,
  mode: 'dev',
  seal: { shares: 1, threshold: 1 },
  outDir: dir.devDir,
});
const logger = createLogger({ level: 'silent' });
let node: RunningNode | undefined;
let client: CofferClient | undefined;

async function start(auditCryptoUse: boolean): Promise<CofferSession> {
  await client?.close();
  await node?.close();
  node = await startNode({ dataDir: dir.root, port: 0, logger, auditCryptoUse });
  client = new CofferClient({
    endpoints: [node.url],
    ca: await readFile(dir.caCert),
    cert: await readFile(init.clientCert!),
    key: await readFile(init.clientKey!),
  });
  return client.login('bencher', USER_PASSWORD);
}

try {
  node = await startNode({ dataDir: dir.root, port: 0, logger });
  const setup = new CofferClient({ endpoints: [node.url], ca: await readFile(dir.caCert) });
  await setup.activate(ADMIN_PASSWORD);
  const admin = await setup.login('admin', ADMIN_PASSWORD);
  await admin.createUser('bencher', 'crypto-user', USER_PASSWORD);
  await setup.close();

  const ms = seconds * 1000;
  const generate = (session: CofferSession) => () =>
    session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label: 'bench' });
  const results: [string, number][] = [];

  let session = await start(false);
  const signer = await session.generateKeyPair({ keyType: 'ec', curve: 'secp256r1', label: 'bench-signer' });
  const data = randomBytes(64);
  const sign = (s: CofferSession) => () =>
    s.sign({ keyHandle: signer.privateKey.handle, mechanism: 'ECDSA_SHA256', data });

  results.push(['key generations/s, chain on (normal)', await rate(concurrency, ms, generate(session))]);
  results.push(['signatures/s, per-operation logging off', await rate(concurrency, ms, sign(session))]);
  const [genOff] = await Promise.all([
    rate(concurrency / 2, ms, generate(session)),
    rate(concurrency / 2, ms, sign(session)),
  ]);
  results.push(['key generations/s while signing, logging off', genOff]);

  session = await start(true);
  results.push(['signatures/s, per-operation logging on', await rate(concurrency, ms, sign(session))]);
  const [genOn, signOn] = await Promise.all([
    rate(concurrency / 2, ms, generate(session)),
    rate(concurrency / 2, ms, sign(session)),
  ]);
  results.push(['key generations/s while signing, logging on', genOn]);
  results.push(['  (signatures/s alongside, logging on)', signOn]);
  results.push(['key generations/s, logging on, no signing', await rate(concurrency, ms, generate(session))]);

  console.log(
    `audit cost: in-process dev node (SQLite, synchronous=FULL), ${concurrency} concurrent clients, ${seconds} s each`,
  );
  for (const [what, value] of results) console.log(`  ${what.padEnd(48)} ${value.toFixed(0).padStart(8)}`);
} finally {
  await client?.close();
  await node?.close();
  await rm(root, { recursive: true, force: true });
}
