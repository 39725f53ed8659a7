import assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
 * libcoffer-pkcs11.so, and the module's own C test programs check argument handling, session
 * and login states, threads and the fork rule, and the object and key-generation functions
 * (two crypto users, R/O sessions, session objects) — under valgrind when it is installed, and
 * built with ASan and UBSan. Every process started here is stopped in `after`, also when a
 * test fails.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKCS11_DIR = join(REPO, 'pkcs11');
const MODULE = join(PKCS11_DIR, 'build', 'libcoffer-pkcs11.so');
const C_TEST = join(PKCS11_DIR, 'build', 'coffer-p11-test');
const C_OBJECTS_TEST = join(PKCS11_DIR, 'build', 'coffer-p11-objects-test');
const C_UNIT_TEST = join(PKCS11_DIR, 'build', 'coffer-unit-test');
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
  let user2Pin: string;
  let certificateFile: string;

  const tool = (...args: string[]): Promise<Run> => run('pkcs11-tool', ['--module', MODULE, ...args], env);

  before(async () => {
    buildModule();
    t = await startTestNode();
    const user = await t.cryptoUser('p11user');
    userPin = `p11user:${user.password}`;
    const user2 = await t.cryptoUser('p11other');
    user2Pin = `p11other:${user2.password}`;
    // The cluster's CA certificate, as DER: a real X.509 certificate for C_CreateObject.
    certificateFile = join(t.root, 'certificate.der');
    await writeFile(certificateFile, new X509Certificate(await readFile(t.dir.caCert)).raw);
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

  test('pkcs11-tool --keypairgen, --keygen, -O: keys made on the node and listed', { skip: skipTool }, async () => {
    const login = ['--login', '--pin', userPin];
    const rsa = await tool(...login, '--keypairgen', '--key-type', 'rsa:2048', '--label', 'tool-rsa', '--id', '01');
    assert.equal(rsa.code, 0, rsa.stderr);
    assert.match(rsa.stdout, /Private Key Object; RSA/);
    assert.match(rsa.stdout, /Public Key Object; RSA 2048 bits/);
    // --usage-sign: pkcs11-tool's default usage also asks CKA_DERIVE on the public key, which the
    // node refuses (ATTRIBUTE_VALUE_INVALID: a Coffer public key derives nothing).
    const ec = await tool(
      ...login,
      '--keypairgen',
      '--key-type',
      'EC:prime256v1',
      '--usage-sign',
      '--label',
      'tool-ec',
    );
    assert.equal(ec.code, 0, ec.stderr);
    assert.match(ec.stdout, /Public Key Object; EC/);
    const aes = await tool(...login, '--keygen', '--key-type', 'AES:32', '--label', 'tool-aes', '--id', '03');
    assert.equal(aes.code, 0, aes.stderr);
    assert.match(aes.stdout, /Secret Key Object; AES length 32/);

    const listed = await tool(...login, '-O');
    assert.equal(listed.code, 0, listed.stderr);
    for (const label of ['tool-rsa', 'tool-ec', 'tool-aes'])
      assert.match(listed.stdout, new RegExp(`label:\\s+${label}$`, 'm'), label);
    assert.equal(listed.stdout.match(/label:\s+tool-rsa$/gm)?.length, 2, 'both halves of the RSA pair');
    // Without a login nothing shows: Coffer has no public objects.
    const anonymous = await tool('-O');
    assert.equal(anonymous.code, 0, anonymous.stderr);
    assert.doesNotMatch(anonymous.stdout, /tool-/);
    // The other user sees none of them.
    const other = await tool('--login', '--pin', user2Pin, '-O');
    assert.equal(other.code, 0, other.stderr);
    assert.doesNotMatch(other.stdout, /tool-/);
  });

  test('pkcs11-tool --write-object, --read-object, --delete-object: a certificate', { skip: skipTool }, async () => {
    const login = ['--login', '--pin', userPin];
    const cert = ['--type', 'cert', '--label', 'tool-cert'];
    const written = await tool(...login, '--write-object', certificateFile, ...cert, '--id', '04');
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /Certificate Object; type = X\.509 cert/);
    assert.match(written.stdout, /subject:\s+DN: CN=Coffer Cluster CA/, 'the subject, taken from the certificate');
    const back = join(t.root, 'certificate-back.der');
    const read = await tool(...login, '--read-object', ...cert, '--output-file', back);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(await readFile(back), await readFile(certificateFile));
    const deleted = await tool(...login, '--delete-object', ...cert);
    assert.equal(deleted.code, 0, deleted.stderr);
    const listed = await tool(...login, '-O', '--type', 'cert');
    assert.equal(listed.code, 0, listed.stderr);
    assert.doesNotMatch(listed.stdout, /tool-cert/);
  });

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
    COFFER_P11_TEST_USER2_PIN: user2Pin,
    COFFER_P11_TEST_CERT: certificateFile,
  });

  function assertAllPassed(answer: Run): void {
    const failed = answer.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    assert.deepEqual(failed, [], answer.stdout);
    assert.equal(answer.code, 0, `${answer.stdout}\n${answer.stderr}`);
    assert.match(answer.stdout, /^0 failure\(s\)$/m);
  }

  const sanitizerEnv = (): NodeJS.ProcessEnv => ({
    ...cTestEnv(),
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    UBSAN_OPTIONS: 'print_stacktrace=1',
  });

  /** Runs a C test program under valgrind's memcheck when it is installed: any invalid access,
      or memory definitely or possibly lost, fails the run. */
  const underValgrind = (program: string, args: readonly string[]): Promise<Run> =>
    has('valgrind')
      ? run('valgrind', ['--error-exitcode=1', '--leak-check=full', '--quiet', program, ...args], cTestEnv(), 300_000)
      : run(program, args, cTestEnv());

  test('the C test programs under ASan and UBSan (make -C pkcs11 sanitize)', async () => {
    for (const program of ['coffer-p11-test', 'coffer-p11-objects-test']) {
      const answer = await run(
        join(SANITIZED, program),
        [join(SANITIZED, 'libcoffer-pkcs11.so')],
        sanitizerEnv(),
        120_000,
      );
      assertAllPassed(answer);
      assert.doesNotMatch(answer.stderr, /Sanitizer/, answer.stderr);
    }
    const unit = await run(join(SANITIZED, 'coffer-unit-test'), [], sanitizerEnv());
    assertAllPassed(unit);
    assert.doesNotMatch(unit.stderr, /Sanitizer/, unit.stderr);
  });

  test('the C test program: arguments, states, threads, fork (under valgrind when present)', async () => {
    assertAllPassed(await underValgrind(C_TEST, [MODULE]));
  });

  test('the C object test: generate, find, attributes, create/copy/destroy, R/O sessions, two users', async () => {
    assertAllPassed(await underValgrind(C_OBJECTS_TEST, [MODULE]));
  });

  test('the C unit checks: the template codec (under valgrind when present)', async () => {
    assertAllPassed(await underValgrind(C_UNIT_TEST, []));
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
