import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

/**
 * The README tour, end to end: a real `coffer up` process, and the real `coffer` CLI run as
 * a user would run it, with the PIN in the environment. Needs the build (make test does it).
 */
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

/** The tour's sign and verify arguments (README), relative to the test's working directory. */
const SIGN_ARGS = [
  ...['--hash-function', 'sha256', '--key-filter', 'attr.label=tour', '--data-path', 'release.txt'],
  ...['--signature-encoding', 'der', '--signature-path', 'release.sig'],
];

interface Up {
  readonly process: ChildProcess;
  readonly output: string[];
  readonly endpoint: string;
}

async function startUp(dataDir: string): Promise<Up> {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', '0'], {
    env: { ...process.env, COFFER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coffer up did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      const match = /endpoint\s+(https:\/\/\S+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`coffer up exited with ${code}:\n${output.join('')}`)));
  });
  return { process: child, output, endpoint };
}

async function stop(up: Up): Promise<void> {
  if (up.process.exitCode !== null) return;
  const exited = new Promise((resolve) => up.process.once('exit', resolve));
  up.process.kill('SIGTERM');
  await exited;
}

describe('the README tour through the real CLI and a real `coffer up`', () => {
  let root: string;
  let dataDir: string;
  let up: Up;
  let env: NodeJS.ProcessEnv;

  const coffer = (pin: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      env: { ...env, COFFER_PIN: pin },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-tour-'));
    dataDir = join(root, 'data');
    env = { ...process.env, COFFER_DATA_DIR: dataDir };
    delete env.CLOUDHSM_PIN;
    up = await startUp(dataDir);
  });
  after(async () => {
    await stop(up);
    await rm(root, { recursive: true, force: true });
  });

  test('the first run initializes, activates, unseals, and says it is in dev mode', async () => {
    const printed = up.output.join('');
    assert.match(printed, /DEV MODE/);
    assert.match(printed, /initialized a new dev cluster/);
    const pin = (await readFile(join(dataDir, 'dev', 'admin.pin'), 'utf8')).trim();
    assert.match(pin, /^admin:\S{16,}$/);
    const status = coffer(pin, 'cluster', 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { error_code: number; data: { sealed: boolean; mode: string } };
    assert.equal(parsed.error_code, 0);
    assert.deepEqual([parsed.data.sealed, parsed.data.mode], [false, 'dev']);
  });

  test('admin creates alice; alice generates, signs, verifies; OpenSSL verifies too', async () => {
    const adminPin = (await readFile(join(dataDir, 'dev', 'admin.pin'), 'utf8')).trim();
    const created = coffer(
      adminPin,
      'user',
      'create',
      '--username',
      'alice',
      '--role',
      'crypto-user',
      '--password',
      'alice-secret-1',
    );
    assert.equal(created.code, 0, created.stderr);
    const alice = 'alice:alice-secret-1';
    const generated = coffer(
      alice,
      'key',
      'generate-asymmetric-pair',
      'ec',
      '--curve',
      'secp256r1',
      '--label',
      'tour',
      '--json',
    );
    assert.equal(generated.code, 0, generated.stderr);
    await writeFile(join(root, 'release.txt'), 'release 1.0 checksum\n');
    const signed = coffer(alice, 'crypto', 'sign', 'ecdsa', ...SIGN_ARGS);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = coffer(alice, 'crypto', 'verify', 'ecdsa', ...SIGN_ARGS);
    assert.equal(verified.code, 0, verified.stderr);
    const exported = coffer(
      alice,
      'key',
      'generate-file',
      '--encoding',
      'pem',
      '--path',
      'tour.pub.pem',
      '--filter',
      'attr.label=tour',
      'attr.class=public-key',
    );
    assert.equal(exported.code, 0, exported.stderr);
    const openssl = spawnSync(
      'openssl',
      ['dgst', '-sha256', '-verify', 'tour.pub.pem', '-signature', 'release.sig', 'release.txt'],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(openssl.stdout.trim(), 'Verified OK');
    await writeFile(join(root, 'release.txt'), 'release 1.0 checksum, altered\n');
    const altered = coffer(alice, 'crypto', 'verify', 'ecdsa', ...SIGN_ARGS, '--json');
    assert.equal(altered.code, 1);
    assert.match((JSON.parse(altered.stdout) as { data: string }).data, /^SIGNATURE_INVALID/);
  });

  test('an admin cannot sign: exit 1 and the CloudHSM-shaped error', async () => {
    const adminPin = (await readFile(join(dataDir, 'dev', 'admin.pin'), 'utf8')).trim();
    const refused = coffer(
      adminPin,
      'crypto',
      'sign',
      'ecdsa',
      '--hash-function',
      'sha256',
      '--key-filter',
      'attr.label=tour',
      '--data',
      'aGVsbG8=',
      '--json',
    );
    assert.equal(refused.code, 1);
    const body = JSON.parse(refused.stdout) as { error_code: number; data: string };
    assert.equal(body.error_code, 1);
    assert.match(body.data, /^(PERMISSION_DENIED|KEY_NOT_FOUND)/);
  });

  test('after a restart of the process the keys are still there and still verify', async () => {
    await stop(up);
    up = await startUp(dataDir);
    assert.match(up.output.join(''), /reused the dev cluster/);
    await writeFile(join(root, 'release.txt'), 'release 1.0 checksum\n');
    const verified = coffer('alice:alice-secret-1', 'crypto', 'verify', 'ecdsa', ...SIGN_ARGS);
    assert.equal(verified.code, 0, verified.stderr);
    const listed = JSON.parse(
      coffer('alice:alice-secret-1', 'key', 'list', '--filter', 'attr.label=tour', '--json').stdout,
    ) as { data: { returned_key_count: number } };
    assert.equal(listed.data.returned_key_count, 2);
  });

  test('nothing the node printed holds a password', async () => {
    const adminPin = (await readFile(join(dataDir, 'dev', 'admin.pin'), 'utf8')).trim();
    const printed = up.output.join('');
    assert.ok(!printed.includes(adminPin.split(':')[1]!));
    assert.ok(!printed.includes('alice-secret-1'));
  });
});
