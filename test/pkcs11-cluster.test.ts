import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { writePkcs11Config, type Pkcs11Config } from '../src/cluster/pkcs11-config.js';
import { auditEvents } from './support/audit-events.js';
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
  type Interactive,
} from './support/pkcs11-process.js';
import { startTestCluster, type TestCluster } from './support/test-cluster.js';

/**
 * The PKCS#11 module as a cluster client, against three real nodes over one store (node-1 and
 * node-2 in zone-a, node-3 in zone-b), the client in zone-a: calls on many threads spread over
 * the zone's two nodes and never reach the other zone while one of them serves; a sealed node is
 * skipped, the other zone serves when the whole zone is sealed, and a node unsealed again comes
 * back into use; with discovery, a configuration naming one node finds the others and their
 * zones. Where each call ran is read from the audit (every key.generate event names its node).
 * The endpoint choice's own rules, and the refusal of a non-https URL in a discovery answer,
 * are checked by build/coffer-endpoints-unit-test (run here under valgrind and ASan).
 */
const CLUSTER_TEST = 'coffer-p11-cluster-test';
const ENDPOINTS_UNIT_TEST = 'coffer-endpoints-unit-test';
const CALLS_PER_ROUND = 36; // pkcs11/test/p11-cluster-test.c: THREADS × CALLS
const USER = 'balance';
const sanitizerEnv = { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' };

describe('the PKCS#11 module against a cluster', { skip: noCompiler, timeout: 600_000 }, () => {
  let c: TestCluster;
  let userPin: string;
  let adminToken: string;
  let share: string;
  const url = (index: number): string => c.nodes[index]!.node.url;

  before(async () => {
    buildModule();
    c = await startTestCluster({ nodes: 3, zones: ['zone-a', 'zone-a', 'zone-b'] });
    userPin = `${USER}:${await c.cryptoUser(USER)}`;
    adminToken = await c.nodes[0]!.api.login('admin', c.adminPassword);
    share = (await readFile(join(c.dir.devDir, 'unseal-share'), 'utf8')).trim();
  });

  after(async () => {
    stopAll();
    await c?.stop();
  });

  const configFor = async (name: string, config: Omit<Pkcs11Config, 'caFile'>): Promise<NodeJS.ProcessEnv> => {
    const conf = join(c.root, `${name}.json`);
    await writePkcs11Config(conf, { caFile: c.dir.caCert, ...UNDER_VALGRIND_TIMEOUTS, ...config });
    return { PATH: process.env.PATH, COFFER_PKCS11_CONF: conf, COFFER_P11_TEST_USER_PIN: userPin };
  };

  // The audit is read through node-3, which the tests never seal.
  const lastSeq = async (): Promise<number> => (await auditEvents(c.nodes[2]!.api, adminToken)).at(-1)!.seq;

  /** One round of the program's calls: how many keys each node made in it. */
  const round = async (program: Interactive, n: number): Promise<Record<string, number>> => {
    const from = await lastSeq();
    program.child.stdin!.write('go\n');
    await program.waitFor(new RegExp(`^ROUND ${n}$`, 'm'), 300_000);
    const made = (await auditEvents(c.nodes[2]!.api, adminToken)).filter(
      (e) => e.seq > from && e.actor === USER && e.action === 'key.generate' && e.result === 'success',
    );
    for (const event of made) assert.equal(typeof event.node, 'string', JSON.stringify(event));
    assert.equal(made.length, CALLS_PER_ROUND, `round ${n}: one key per call`);
    const byNode: Record<string, number> = { 'node-1': 0, 'node-2': 0, 'node-3': 0 };
    for (const event of made) byNode[event.node] = (byNode[event.node] ?? 0) + 1;
    return byNode;
  };

  const unseal = async (index: number): Promise<void> => {
    const answer = await c.nodes[index]!.api.call('POST', '/v1/cluster/unseal', { body: { share } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(c.nodes[index]!.node.cluster.sealed, false);
  };

  test('the choice rules (endpoint pool, health and discovery answers) under valgrind and under ASan', async () => {
    const [file, args] = underValgrind(join(PKCS11_BUILD, ENDPOINTS_UNIT_TEST), []);
    assertAllPassed(await run(file, args, { PATH: process.env.PATH }, 300_000));
    const sanitized = await run(join(SANITIZED_BUILD, ENDPOINTS_UNIT_TEST), [], { ...sanitizerEnv }, 120_000);
    assertAllPassed(sanitized);
    assert.doesNotMatch(sanitized.stderr, /Sanitizer/, sanitized.stderr);
  });

  test('calls spread over the zone; a sealed node is skipped and comes back once it serves (ASan)', async (t) => {
    const env = await configFor('balance', {
      endpoints: [`${url(0)}#zone-a`, { url: url(1), zone: 'zone-a' }, `${url(2)}#zone-b`],
      zone: 'zone-a',
      // Every call alone: each is one request, counted where it went.
      combineInFlight: 0,
    });
    const program = start(
      join(SANITIZED_BUILD, CLUSTER_TEST),
      [join(SANITIZED_BUILD, 'libcoffer-pkcs11.so'), 'token'],
      { ...env, ...sanitizerEnv },
      400_000,
    );
    try {
      await program.waitFor(/^READY$/m);
      let n = 0;
      const spread = await round(program, ++n);
      assert.equal(spread['node-3'], 0, `the other zone is not used while the zone serves: ${JSON.stringify(spread)}`);
      assert.ok(
        spread['node-1']! >= CALLS_PER_ROUND / 6 && spread['node-2']! >= CALLS_PER_ROUND / 6,
        `both nodes of the zone take a share of concurrent calls: ${JSON.stringify(spread)}`,
      );

      c.nodes[1]!.node.cluster.sealLocally('a test seals node-2');
      const oneSealed = await round(program, ++n);
      assert.deepEqual(oneSealed, { 'node-1': CALLS_PER_ROUND, 'node-2': 0, 'node-3': 0 });

      c.nodes[0]!.node.cluster.sealLocally('a test seals node-1');
      const zoneSealed = await round(program, ++n);
      assert.deepEqual(zoneSealed, { 'node-1': 0, 'node-2': 0, 'node-3': CALLS_PER_ROUND }, 'the other zone serves');

      await unseal(0);
      await unseal(1);
      // Back once a health check finds them serving: their backoff is at most 10 s.
      const deadline = Date.now() + 60_000;
      let back: Record<string, number>;
      do {
        await sleep(500);
        back = await round(program, ++n);
      } while ((back['node-3']! > 0 || back['node-1'] === 0 || back['node-2'] === 0) && Date.now() < deadline);
      t.diagnostic(`spread ${JSON.stringify(spread)}; back after ${n - 3} round(s): ${JSON.stringify(back)}`);
      assert.equal(back['node-3'], 0, `the zone is used again: ${JSON.stringify(back)}`);
      assert.ok(back['node-1']! > 0 && back['node-2']! > 0, `both nodes of the zone again: ${JSON.stringify(back)}`);
    } finally {
      program.child.stdin!.end();
    }
    const answer = await program.done;
    assertAllPassed(answer);
    assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
  });

  test('discovery: a configuration naming one node of the other zone finds the zone’s nodes (valgrind)', async (t) => {
    for (const index of [0, 1]) if (c.nodes[index]!.node.cluster.sealed) await unseal(index);
    const listed = await c.nodes[2]!.api.call<{ nodes: { url: string; zone?: string }[] }>('GET', '/v1/cluster/nodes');
    assert.deepEqual(
      listed.body.nodes.map((node) => [node.url, node.zone]),
      [
        [url(0), 'zone-a'],
        [url(1), 'zone-a'],
        [url(2), 'zone-b'],
      ],
    );
    const env = await configFor('discover', { endpoints: [url(2)], zone: 'zone-a', discover: true });
    const [file, args] = underValgrind(join(PKCS11_BUILD, CLUSTER_TEST), [MODULE, 'token']);
    const program = start(file, args, env, 600_000);
    try {
      await program.waitFor(/^READY$/m, 300_000);
      const found = await round(program, 1);
      t.diagnostic(`found ${JSON.stringify(found)}`);
      assert.equal(
        found['node-3'],
        0,
        `the configured node, of another zone, is left for the zone: ${JSON.stringify(found)}`,
      );
      assert.ok(found['node-1']! > 0 && found['node-2']! > 0, `both discovered nodes serve: ${JSON.stringify(found)}`);
    } finally {
      program.child.stdin!.end();
    }
    assertAllPassed(await program.done);
  });

  // A session object lives only on the node that made it; a search lists only that node's.
  test('session keys, multi-part operations and searches on many threads, over two nodes (ASan)', async () => {
    const env = await configFor('session-objects', {
      endpoints: [`${url(0)}#zone-a`, `${url(1)}#zone-a`],
      zone: 'zone-a',
    });
    const program = start(
      join(SANITIZED_BUILD, CLUSTER_TEST),
      [join(SANITIZED_BUILD, 'libcoffer-pkcs11.so'), 'session'],
      { ...env, ...sanitizerEnv },
      400_000,
    );
    try {
      await program.waitFor(/^READY$/m);
      for (let n = 1; n <= 2; n++) {
        const made = await round(program, n);
        assert.ok(
          made['node-1'] === CALLS_PER_ROUND || made['node-2'] === CALLS_PER_ROUND,
          `every session key is made on the login's node: ${JSON.stringify(made)}`,
        );
      }
    } finally {
      program.child.stdin!.end();
    }
    const answer = await program.done;
    assertAllPassed(answer);
    assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
  });

  test('discovery off (the default): only the configured endpoint is used', async () => {
    const env = await configFor('no-discover', { endpoints: [url(2)], zone: 'zone-a' });
    const program = start(join(PKCS11_BUILD, CLUSTER_TEST), [MODULE, 'token'], env);
    try {
      await program.waitFor(/^READY$/m);
      assert.deepEqual(await round(program, 1), { 'node-1': 0, 'node-2': 0, 'node-3': CALLS_PER_ROUND });
    } finally {
      program.child.stdin!.end();
    }
    assertAllPassed(await program.done);
  });
});
