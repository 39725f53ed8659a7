import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * For interop tests: runs the `openssl` CLI in a fresh temporary directory holding `files`
 * (written 0600), returns its stdout and removes the directory. Never used outside tests.
 */
export function withOpenssl(files: Readonly<Record<string, Buffer | string>>, args: readonly string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
