import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makePkcs11 } from './support/pkcs11-process.js';

/**
 * coffer-pkpspeed (pkcs11/bench/) against a real PKCS#11 module, SoftHSM2's, on a token made in
 * a temp dir: every op runs and is measured without an error, the token keys find-label makes
 * are gone after, and a wrong PIN stops the run with the module's answer.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKCS11_DIR = join(REPO, 'pkcs11');
const TOOL = join(PKCS11_DIR, 'build', 'coffer-pkpspeed');
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const OPS = ['rsa2048-sign', 'p256-sign', 'aes-gcm-1k', 'aes-keygen', 'find-label'];
const PIN = 'pkpspeed-user-1';

const has = (command: string, ...args: string[]): boolean =>
  !spawnSync(command, args.length > 0 ? args : ['--version'], { stdio: 'ignore' }).error;
const skip =
  !has('cc') || !has('make')
    ? 'no C compiler or make: run `make test` (it installs the build packages)'
    : !existsSync(SOFTHSM) || !has('softhsm2-util', '--help')
      ? 'softhsm2 is not installed: `make test` installs it'
      : false;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The tool with a hard timeout: a hang fails the test instead of stalling the suite. */
function run(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TOOL, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Row {
  readonly module: string;
  readonly op: string;
  readonly processes: number;
  readonly threads: number;
  readonly seconds: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number;
  readonly firstError?: string;
}

describe('coffer-pkpspeed against SoftHSM2', { skip }, () => {
  let root: string;
  let tokens: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    makePkcs11('all');
    root = await mkdtemp(join(tmpdir(), 'coffer-pkpspeed-'));
    tokens = join(root, 'tokens');
    await mkdir(tokens);
    const conf = join(root, 'softhsm2.conf');
    await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    env = { PATH: process.env.PATH, SOFTHSM2_CONF: conf };
    const init = spawnSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', 'bench', '--so-pin', 'pkpspeed-so-1', '--pin', PIN],
      { env, encoding: 'utf8' },
    );
    assert.equal(init.status, 0, init.stderr);
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('every op, 1 process × 2 threads: measured, no error, its token keys destroyed', async () => {
    const args = ['--module', SOFTHSM, '--pin', PIN, '--processes', '1', '--threads', '2', '--seconds', '1'];
    const answer = await run([...args, '--find-keys', '50', '--json'], env);
    assert.equal(answer.code, 0, `${answer.stdout}\n${answer.stderr}`);
    assert.match(answer.stderr, /module: Implementation of PKCS11 \d+\.\d+ \(SoftHSM\)/);
    const rows = answer.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Row);
    assert.deepEqual(
      rows.map((row) => row.op),
      OPS,
    );
    for (const row of rows) {
      assert.equal(row.errors, 0, `${row.op}: ${row.firstError ?? ''}`);
      assert.ok(row.ops > 0 && row.opsPerSec > 0, `${row.op} ran no op`);
      assert.equal(row.processes, 1);
      assert.equal(row.threads, 2);
      assert.ok(row.seconds >= 0.99 && row.seconds < 5, `${row.op} ran ${row.seconds} s`);
      assert.ok(row.p50Ms !== null && row.p99Ms !== null && row.p50Ms > 0 && row.p50Ms <= row.p99Ms, row.op);
      assert.match(row.module, /^Implementation of PKCS11 \d+\.\d+ \(SoftHSM\)$/);
    }
    // Only the token's own files are left: every session and token key went in teardown.
    const [token] = await readdir(tokens);
    const objects = (await readdir(join(tokens, token!))).filter((name) => name.endsWith('.object'));
    assert.deepEqual(objects, ['token.object']);
  });

  test('a wrong PIN stops the run with the module’s answer, and no row claims a success', async () => {
    const answer = await run(['--module', SOFTHSM, '--pin', 'not-the-pin', '--seconds', '1', '--json'], env);
    assert.equal(answer.code, 1);
    assert.equal(answer.stdout, '');
    assert.match(answer.stderr, /C_Login: CKR_PIN_INCORRECT/);
  });

  test('a bad command line is refused before any module is loaded', async () => {
    const answer = await run(['--module', SOFTHSM, '--pin', PIN, '--ops', 'p256-sign,no-such-op'], env);
    assert.equal(answer.code, 2);
    assert.match(answer.stderr, /unknown op 'no-such-op'/);
  });
});
