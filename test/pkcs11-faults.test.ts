import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writePkcs11Config } from '../src/cluster/pkcs11-config.js';
import { UNDER_VALGRIND_TIMEOUTS } from './support/pkcs11-timeouts.js';
import {
  MODULE,
  PKCS11_BUILD,
  SANITIZED_BUILD,
  assertAllPassed,
  buildModule,
  noCompiler,
  run,
  start,
  stopAll,
  underValgrind,
} from './support/pkcs11-process.js';
import { readFile } from 'node:fs/promises';
import { answerDropper } from './support/answer-dropper.js';
import { cuttingProxy } from './support/cutting-proxy.js';
import { auditEvents } from './support/audit-events.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * The PKCS#11 module when things go wrong: sessions closed while other threads call on them
 * (under valgrind and under ASan: nothing used after it is freed), a node sealed and restarted
 * under a logged-in application (its sessions answer CKR_SESSION_HANDLE_INVALID, a new login works),
 * endpoints that refuse connections or never answer (CKR_DEVICE_ERROR within the timeouts;
 * the next endpoint serves when one is down), and a write whose answer is lost (retried under
 * its Idempotency-Key: one key), also when it travelled combined in a batch (each write's own
 * key in its item: one key each).
 */
const FAULT_TEST = join(PKCS11_BUILD, 'coffer-p11-fault-test');

describe('the PKCS#11 module under faults', { skip: noCompiler }, () => {
  let t: TestNode;
  let userPin: string;
  let silent: Server;
  const held: Socket[] = [];
  let silentPort: number;
  let closedPort: number;

  const configFor = async (
    name: string,
    endpoints: string[],
    timeouts: { connectTimeoutMs?: number; requestTimeoutMs?: number } = {},
  ): Promise<NodeJS.ProcessEnv> => {
    const conf = join(t.root, `${name}.json`);
    await writePkcs11Config(conf, {
      endpoints,
      caFile: t.dir.caCert,
      certFile: t.init.clientCert!,
      keyFile: t.init.clientKey!,
      ...UNDER_VALGRIND_TIMEOUTS,
      ...timeouts,
    });
    return { PATH: process.env.PATH, COFFER_PKCS11_CONF: conf, COFFER_P11_TEST_USER_PIN: userPin };
  };

  before(async () => {
    buildModule();
    t = await startTestNode();
    userPin = `faults:${(await t.cryptoUser('faults')).password}`;
    // A server that accepts connections and never answers: the request timeout must end calls.
    silent = createServer((socket) => held.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    silentPort = (silent.address() as { port: number }).port;
    // A port nobody listens on: connections are refused.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });

  after(async () => {
    stopAll();
    for (const socket of held) socket.destroy();
    silent?.close();
    await t?.stop();
  });

  test('sessions closed while threads call on them (valgrind)', async () => {
    const env = await configFor('race', [t.node.url]);
    const [file, args] = underValgrind(FAULT_TEST, [MODULE, 'close-race']);
    assertAllPassed(await run(file, args, env, 300_000));
  });

  test('sessions closed while threads call on them (ASan and UBSan)', async () => {
    const env = await configFor('race-asan', [t.node.url]);
    const answer = await run(
      join(SANITIZED_BUILD, 'coffer-p11-fault-test'),
      [join(SANITIZED_BUILD, 'libcoffer-pkcs11.so'), 'close-race'],
      { ...env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
      120_000,
    );
    assertAllPassed(answer);
    assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
  });

  // A restart alone keeps login sessions (they live in the store); a seal ends them all, so the
  // node restarted after a seal no longer knows the application's login.
  test('a node sealed and restarted: CKR_SESSION_HANDLE_INVALID, then a new login works', async () => {
    const env = await configFor('restart', [t.node.url]);
    const program = start(FAULT_TEST, [MODULE, 'restart'], env);
    await program.waitFor(/^READY$/m);
    const admin = await t.api.login('admin', t.adminPassword);
    const sealed = await t.api.call('POST', '/v1/cluster/seal', { token: admin, body: {} });
    assert.equal(sealed.status, 200, sealed.text);
    await t.restart();
    program.child.stdin!.end('go\n');
    assertAllPassed(await program.done);
  });

  test('no endpoint answers: CKR_DEVICE_ERROR within the timeouts, never a hang', async () => {
    const env = await configFor('unreachable', [`https://127.0.0.1:${closedPort}`, `https://127.0.0.1:${silentPort}`], {
      connectTimeoutMs: 1000,
      requestTimeoutMs: 1500,
    });
    // Killed by the harness after 30 s: a module that blocked its host would fail here.
    assertAllPassed(await run(FAULT_TEST, [MODULE, 'unreachable'], env, 30_000));
  });

  test('C_GenerateKeyPair whose answer is lost: retried under its Idempotency-Key, one pair', async () => {
    const relay = await answerDropper(t.node.port);
    try {
      // The relay is in the client's zone, so tried first; behind it and beside it, the same node.
      const env = await configFor('lost-answer', [`${relay.url}#near`, t.node.url]);
      const program = start(FAULT_TEST, [MODULE, 'lost-answer'], { ...env, COFFER_PKCS11_ZONE: 'near' });
      await program.waitFor(/^READY$/m);
      relay.arm();
      program.child.stdin!.end('go\n');
      assertAllPassed(await program.done);
      assert.equal(relay.dropped(), 1, 'an answer was cut on its way back');
      const admin = await t.api.login('admin', t.adminPassword);
      const events = await auditEvents(t.api, admin);
      const made = events.filter((e) => e.action === 'key.generate' && e.actor === 'faults');
      assert.equal(made.length, 1, 'one pair made');
      const replayed = events.filter((e) => e.action === 'idempotency.replay' && e.actor === 'faults');
      assert.deepEqual(
        replayed.map((e) => [e.result, e.target]),
        [['success', made[0]!.target]],
        'the retry was answered from the first request',
      );
    } finally {
      await relay.close();
    }
  });

  test('a batch of C_GenerateKey calls whose answer is lost: sent again, each key made once', async () => {
    const proxy = await cuttingProxy(t.node.url, {
      cert: await readFile(t.dir.nodeCert),
      key: await readFile(t.dir.nodeKey),
      ca: await readFile(t.dir.caCert),
      clientCert: await readFile(t.init.clientCert!),
      clientKey: await readFile(t.init.clientKey!),
    });
    try {
      // The proxy is in the client's zone, so tried first; beside it, the node itself.
      const env = await configFor('lost-batch', [`${proxy.url}#near`, t.node.url]);
      const program = start(FAULT_TEST, [MODULE, 'lost-batch'], {
        ...env,
        COFFER_PKCS11_ZONE: 'near',
        // One request on its way at a time: the other threads' calls queue and go together.
        COFFER_PKCS11_COMBINE_IN_FLIGHT: '1',
      });
      await program.waitFor(/^READY$/m);
      const admin = await t.api.login('admin', t.adminPassword);
      const before = (await auditEvents(t.api, admin)).at(-1)!.seq;
      proxy.arm('/v1/batch');
      const from = t.logs.length;
      program.child.stdin!.end('go\n');
      assertAllPassed(await program.done);
      assert.equal(proxy.cut(), 1, 'a batch ran and its answer was cut on its way back');
      const batches = t.logs
        .slice(from)
        .map((line) => JSON.parse(line) as { url?: string; statusCode?: number })
        .filter((line) => line.url === '/v1/batch' && line.statusCode === 200);
      assert.ok(batches.length >= 2, 'the cut batch was sent again');
      const events = (await auditEvents(t.api, admin)).filter((e) => e.seq > before && e.actor === 'faults');
      const made = events.filter((e) => e.action === 'key.generate' && e.result === 'success');
      assert.equal(made.length, 8, 'one key per call');
      const replayed = events.filter((e) => e.action === 'idempotency.replay');
      assert.ok(replayed.length >= 2, `the batch's writes were answered from their first run: ${replayed.length}`);
      for (const replay of replayed) {
        assert.equal(replay.result, 'success');
        assert.ok(
          made.some((e) => e.target === replay.target),
          'a replay names a key made once',
        );
      }
    } finally {
      await proxy.close();
    }
  });

  test('the first endpoint is down: the next one serves', async () => {
    const env = await configFor('failover', [`https://127.0.0.1:${closedPort}`, t.node.url]);
    const answer = await run('pkcs11-tool', ['--module', MODULE, '-L'], env);
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /token label\s+: Coffer /);
  });
});
