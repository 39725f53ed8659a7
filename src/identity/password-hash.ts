import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (per-user random salt). Parameters are stored with each hash so
 * they can be raised later without breaking existing users. scrypt runs on the libuv pool.
 */
export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly hash: string;
}

const DEFAULT_PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const HASH_BYTES = 32;

function derive(password: Buffer, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: Buffer): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, DEFAULT_PARAMS);
  return { algorithm: 'scrypt', ...DEFAULT_PARAMS, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: Buffer, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of nothing, verified against on unknown usernames so timing does not reveal them. */
let decoy: Promise<PasswordHash> | undefined;
export function decoyHash(): Promise<PasswordHash> {
  decoy ??= hashPassword(randomBytes(16));
  return decoy;
}
