import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CofferError } from '../errors/coffer-error.js';

/** Writes a file readable by its owner only; creates its directory (0700) when missing. */
export async function writePrivateFile(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function writePublicFile(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o644 });
}

/** Refuses a directory that anyone but its owner can read, write or enter. */
export async function checkPrivateDirectory(path: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new CofferError('DATA_DIR_INSECURE', `${path} has mode ${(info.mode & 0o777).toString(8)}; run chmod 700`);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
