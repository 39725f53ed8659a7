import { scrypt } from 'node:crypto';
import type { SelfTest } from '../types.js';
import { expectHex } from './expect.js';

export interface ScryptVector {
  readonly password: string;
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly dkLen: number;
  readonly derived: string;
}

/** RFC 7914 §12, second vector: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64. */
export const RFC7914_NACL: ScryptVector = {
  password: 'password',
  salt: 'NaCl',
  N: 1024,
  r: 8,
  p: 16,
  dkLen: 64,
  derived:
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
    '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
};

/**
 * This vector needs about 128·N·r = 1 MiB, well under Node's default maxmem (32 MiB), so the
 * default is kept. Callback form: the work runs on the libuv pool.
 */
function scryptAsync(v: ScryptVector): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(v.password, v.salt, v.dkLen, { N: v.N, r: v.r, p: v.p }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** scrypt hashes passwords. */
export function scryptKat(v: ScryptVector = RFC7914_NACL): SelfTest {
  return {
    name: 'scrypt KAT',
    async run() {
      expectHex(await scryptAsync(v), v.derived, 'derived key');
    },
  };
}
