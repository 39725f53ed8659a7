import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Which programs the PKCS#11 client tests need, and the Debian package of each: a test skips
 * with this reason when one is missing, and only then.
 */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  'pkcs11-tool': 'opensc',
  'opensc-tool': 'opensc',
  openssl: 'openssl',
  nginx: 'nginx',
  curl: 'curl',
  p11tool: 'gnutls-bin',
  'ssh-agent': 'openssh-client',
  'ssh-add': 'openssh-client',
  'ssh-keygen': 'openssh-client',
  java: 'openjdk-17-jdk-headless',
  javac: 'openjdk-17-jdk-headless',
  'softhsm2-util': 'softhsm2',
  make: 'make',
  cc: 'gcc',
  flock: 'util-linux',
};

/** OpenSSL 3's engine directory on Debian (`openssl version -e`). */
export const ENGINE_PATH = '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so';

export function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A skip reason naming what is missing and where it comes from, or false when all is there. */
export function missing(...programs: string[]): string | false {
  const absent = programs.filter((program) => !onPath(program));
  if (absent.length === 0) return false;
  const packages = [...new Set(absent.map((program) => PACKAGE_OF[program] ?? program))];
  return `${absent.join(', ')} missing: \`make debian-deps\` installs it (Debian ${packages.join(', ')})`;
}

/** The pkcs11 engine for OpenSSL 3 (libp11), which openssl and nginx load. */
export function missingEngine(): string | false {
  return existsSync(ENGINE_PATH)
    ? false
    : `${ENGINE_PATH} missing: \`make debian-deps\` installs it (Debian libengine-pkcs11-openssl)`;
}

/** The first skip reason of several, or false. */
export function firstMissing(...reasons: (string | false)[]): string | false {
  return reasons.find((reason) => reason !== false) ?? false;
}
