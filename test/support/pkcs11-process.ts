import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Running the PKCS#11 module's programs from a test: where they are built, building them once,
 * and starting them without blocking the event loop (the node under test lives in the test's
 * process). Every process started here is tracked, so `stopAll()` in `after` stops whatever a
 * failing test left running.
 */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const PKCS11_DIR = join(REPO, 'pkcs11');
export const PKCS11_BUILD = join(PKCS11_DIR, 'build');
export const MODULE = join(PKCS11_BUILD, 'libcoffer-pkcs11.so');
export const SANITIZED_BUILD = join(PKCS11_BUILD, 'sanitize');

export const has = (command: string): boolean => !spawnSync(command, ['--version'], { stdio: 'ignore' }).error;
/** A skip reason when the C toolchain is missing, else false. */
export const noCompiler = !has('cc') || !has('make') ? 'no C compiler or make: `make test` installs them' : false;

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const running = new Set<ChildProcess>();

/** Runs a program to its end (killed after timeoutMs). */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      running.delete(child);
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
    running.add(child);
  });
}

/** A program the test talks to while it runs: its output so far, a wait for a line, its end. */
export interface Interactive {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<Run>;
}

export function start(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Interactive {
  const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    child,
    output: () => stdout,
    done,
    async waitFor(pattern, waitMs = 60_000) {
      const deadline = Date.now() + waitMs;
      while (!pattern.test(stdout)) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`no ${pattern} from ${file}:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Stops whatever a test left running (a timeout kills too; this covers a failing assertion). */
export function stopAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Test files run two at a time: one `make -C pkcs11` at a time (flock), so no two write one object file. */
export const PKCS11_BUILD_LOCK = join(tmpdir(), 'coffer-pkcs11-build.lock');

/** `make -C pkcs11 <targets>` under the build lock; asserts it succeeded. */
export function makePkcs11(...targets: string[]): void {
  const built = spawnSync('flock', [PKCS11_BUILD_LOCK, 'make', '-C', PKCS11_DIR, ...targets], { encoding: 'utf8' });
  assert.equal(built.status, 0, `make -C pkcs11 ${targets.join(' ')}:\n${built.stdout}\n${built.stderr}`);
}

/** Builds the module and its C test programs, plain and under ASan/UBSan. */
export function buildModule(): void {
  makePkcs11('all', 'test', 'sanitize');
  assert.ok(existsSync(MODULE));
}

/** Every check of a C test program passed ("ok - …" lines, "0 failure(s)", exit 0). */
export function assertAllPassed(answer: Run): void {
  const failed = answer.stdout.split('\n').filter((line) => line.startsWith('not ok'));
  assert.deepEqual(failed, [], `${answer.stdout}\n${answer.stderr}`);
  assert.equal(answer.code, 0, `${answer.stdout}\n${answer.stderr}`);
  assert.match(answer.stdout, /^0 failure\(s\)$/m);
}

/** memcheck: any invalid access, or memory definitely or possibly lost, fails the run. */
export function underValgrind(file: string, args: readonly string[]): [string, string[]] {
  return has('valgrind')
    ? ['valgrind', ['--error-exitcode=1', '--leak-check=full', '--quiet', file, ...args]]
    : [file, [...args]];
}
