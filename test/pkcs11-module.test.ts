import assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { devUp } from '../src/cluster/dev-up.js';
import type { RunningNode } from '../src/cluster/node.js';
import { writePkcs11Config } from '../src/cluster/pkcs11-config.js';
import { createLogger } from '../src/util/logger.js';
import { startTestNode, type TestNode } from './support/test-node.js';

/**
 * The PKCS#11 module (pkcs11/) against a real node: the real pkcs11-tool (opensc) loads
 * libcoffer-pkcs11.so, and the module's own C test program checks argument handling, session
 * and login states, threads and the fork rule — under valgrind when it is installed. Every
 * process started here is stopped in `after`, also when a test fails.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKCS11_DIR = join(REPO, 'pkcs11');
const MODULE = join(PKCS11_DIR, 'build', 'libcoffer-pkcs11.so');
const C_TEST = join(PKCS11_DIR, 'build', 'coffer-p11-test');
const SANITIZED = join(PKCS11_DIR, 'build', 'sanitize');

const has = (command: string): boolean => !spawnSync(command, ['--version'], { stdio: 'ignore' }).error;
const compilerMissing = !has('cc') || !has('make');
const skipAll = compilerMissing ? 'no C compiler or make: run `make test` (it installs the build packages)' : false;
const skipTool = !has('pkcs11-tool') ? 'pkcs11-tool is missing: `make test` installs opensc' : false;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const running = new Set<ChildProcess>();

/** Runs a program without blocking the event loop (the node under test lives in this process). */
function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      running.delete(child);
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
    running.add(child);
  });
}

/** Stops whatever a test left running (a timeout kills too; this covers a failing assertion). */
function stopAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function buildModule(): void {
  const built = spawnSync('make', ['-C', PKCS11_DIR, 'test', 'sanitize'], { encoding: 'utf8' });
  assert.equal(built.status, 0, `make -C pkcs11 test sanitize:\n${built.stdout}\n${built.stderr}`);
  assert.ok(existsSync(MODULE) && existsSync(C_TEST));
}

describe('the PKCS#11 module', { skip: skipAll }, () => {
  let t: TestNode;
  let env: NodeJS.ProcessEnv;
  let userPin: string;

  const tool = (...args: string[]): Promise<Run> => run('pkcs11-tool', ['--module', MODULE, ...args], env);

  before(async () => {
    buildModule();
    t = await startTestNode();
    const user = await t.cryptoUser('p11user');
    userPin = `p11user:${user.password}`;
    const conf = join(t.root, 'pkcs11.json');
    await writePkcs11Config(conf, {
      endpoints: [t.node.url],
      caFile: t.dir.caCert,
      certFile: t.init.clientCert!,
      keyFile: t.init.clientKey!,
    });
    env = { PATH: process.env.PATH, COFFER_PKCS11_CONF: conf };
  });

  after(async () => {
    stopAll();
    await t?.stop();
  });

  test('pkcs11-tool -I: the library', { skip: skipTool }, async () => {
    const answer = await tool('-I');
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /Cryptoki version 2\.40/);
    assert.match(answer.stdout, /Manufacturer\s+Coffer/);
    assert.match(answer.stdout, /Library\s+Coffer PKCS#11 module \(ver 0\.1\)/);
  });

  test('pkcs11-tool -L: one slot, its token labelled and numbered by the cluster', { skip: skipTool }, async () => {
    const answer = await tool('-L');
    assert.equal(answer.code, 0, answer.stderr);
    const serial = t.init.clusterId.replaceAll('-', '').slice(0, 16).toUpperCase();
    assert.match(answer.stdout, new RegExp(`token label\\s+: Coffer ${serial.slice(0, 8)}`));
    assert.match(answer.stdout, new RegExp(`serial num\\s+: ${serial}`));
    assert.match(answer.stdout, /token flags\s+:.*login required/);
    assert.match(answer.stdout, /token flags\s+:.*rng/);
  });

  test('pkcs11-tool -M: the node’s mechanisms, without a login', { skip: skipTool }, async () => {
    const answer = await tool('-M');
    assert.equal(answer.code, 0, answer.stderr);
    for (const name of ['AES-GCM', 'SHA256-RSA-PKCS', 'ECDSA', 'SHA256-HMAC', 'AES-KEY-WRAP', 'SHA256'])
      assert.match(answer.stdout, new RegExp(`^\\s+${name}[,\\s]`, 'm'), name);
    assert.match(answer.stdout, /AES-GCM, keySize=\{16,32\}, encrypt, decrypt, wrap, unwrap/);
    assert.match(answer.stdout, /SHA256-RSA-PKCS, keySize=\{2048,4096\}, sign, verify/);
    assert.doesNotMatch(answer.stdout, /AES-ECB/, 'ECB is no data mechanism');
    assert.match(answer.stdout, /AES-KEY-GEN, keySize=\{16,32\}, generate/);
    assert.match(answer.stdout, /RSA-PKCS-KEY-PAIR-GEN, keySize=\{2048,4096\}, generate_key_pair/);
    assert.match(answer.stdout, /ECDSA-KEY-PAIR-GEN, keySize=\{256,521\}, generate_key_pair/);
  });

  test(
    'pkcs11-tool --login -O: logs in with user:password; finding objects is not built yet',
    { skip: skipTool },
    async () => {
      const answer = await tool('--login', '--pin', userPin, '-O');
      assert.doesNotMatch(answer.stderr, /C_Login|CKR_PIN_INCORRECT/, answer.stderr);
      // C_FindObjects* answer CKR_FUNCTION_NOT_SUPPORTED in this slice, honestly.
      assert.match(answer.stderr, /C_FindObjectsInit failed.*CKR_FUNCTION_NOT_SUPPORTED/, answer.stderr);
    },
  );

  test('pkcs11-tool --login --pin wrong: CKR_PIN_INCORRECT', { skip: skipTool }, async () => {
    const answer = await tool('--login', '--pin', 'p11user:not-the-password', '-O');
    assert.notEqual(answer.code, 0);
    assert.match(answer.stderr, /CKR_PIN_INCORRECT/);
  });

  test('pkcs11-tool --generate-random 32: 32 bytes from the node', { skip: skipTool }, async () => {
    const out = join(t.root, 'random.bin');
    const answer = await tool('--login', '--pin', userPin, '--generate-random', '32', '--output-file', out);
    assert.equal(answer.code, 0, answer.stderr);
    const bytes = await readFile(out);
    assert.equal(bytes.length, 32);
    assert.notDeepEqual(bytes, Buffer.alloc(32));
  });

  const cTestEnv = (): NodeJS.ProcessEnv => ({
    ...env,
    COFFER_P11_TEST_USER_PIN: userPin,
    COFFER_P11_TEST_SO_PIN: `admin:${t.adminPassword}`,
  });

  function assertAllPassed(answer: Run): void {
    const failed = answer.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    assert.deepEqual(failed, [], answer.stdout);
    assert.equal(answer.code, 0, `${answer.stdout}\n${answer.stderr}`);
    assert.match(answer.stdout, /^0 failure\(s\)$/m);
  }

  test('the C test program under ASan and UBSan (make -C pkcs11 sanitize)', async () => {
    const answer = await run(
      join(SANITIZED, 'coffer-p11-test'),
      [join(SANITIZED, 'libcoffer-pkcs11.so')],
      { ...cTestEnv(), ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
      120_000,
    );
    assertAllPassed(answer);
    assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
  });

  test('the C test program: arguments, states, threads, fork (under valgrind when present)', async () => {
    const withPins = cTestEnv();
    // memcheck: any invalid access, or memory definitely or possibly lost, fails the run.
    const answer = has('valgrind')
      ? await run('valgrind', ['--error-exitcode=1', '--leak-check=full', '--quiet', C_TEST, MODULE], withPins, 300_000)
      : await run(C_TEST, [MODULE], withPins);
    assertAllPassed(answer);
  });
});

describe('coffer up and the PKCS#11 module', { skip: skipAll || skipTool }, () => {
  let root: string;
  let node: RunningNode | undefined;

  before(async () => {
    buildModule();
    root = await mkdtemp(join(tmpdir(), 'coffer-up-p11-'));
  });

  after(async () => {
    stopAll();
    await node?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('writes pkcs11.json into the data dir; pkcs11-tool -L works with it as it is', async () => {
    const up = await devUp({ dataDir: join(root, 'data'), port: 0, logger: createLogger({ level: 'silent' }) });
    node = up.node;
    const conf = up.node.dir.pkcs11Config;
    assert.equal((await stat(conf)).mode & 0o777, 0o600);
    const written = JSON.parse(await readFile(conf, 'utf8')) as { endpoints: string[]; caFile: string };
    assert.deepEqual(written.endpoints, [up.node.url]);
    assert.equal(written.caFile, 'tls/ca.crt', 'relative to the data dir, where the file is');
    const answer = await run('pkcs11-tool', ['--module', MODULE, '-L'], {
      PATH: process.env.PATH,
      COFFER_PKCS11_CONF: conf,
    });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /token label\s+: Coffer [0-9A-F]{8}/);
  });
});
