import { x963Kdf } from '../kdf/x963.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface X963Vector {
  readonly z: string;
  readonly sharedInfo: string;
  readonly keyData: string;
}

/**
 * NIST CAVP component test ansx963_2001.rsp, [SHA-256] [shared secret length = 192]
 * [SharedInfo length = 128] [key data length = 1024], first vector: four SHA-256 blocks.
 */
export const CAVP_X963_SHA256_INFO128: X963Vector = {
  z: '22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d',
  sharedInfo: '75eef81aa3041e33b80971203d2c0c52',
  keyData:
    'c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e52a13d9c7c6fc878c50c5ea0bc7b00e0' +
    'da2447cfd874f6cf92f30d0097111485500c90c3af8b487872d04685d14c8d1dc8d7fa08beb0ce0ababc11f0bd496269' +
    '142d43525a78e5bc79a17f59676a5706dc54d54d4d1f0bd7e386128ec26afc21',
};

/** ANSI X9.63 KDF (ECDH1_DERIVE's x963 option) with SHA-256. */
export function x963KdfKat(v: X963Vector = CAVP_X963_SHA256_INFO128): SelfTest {
  return {
    name: 'ANSI X9.63 KDF SHA-256 KAT',
    async run() {
      const derived = x963Kdf('sha256', hex(v.z), hex(v.sharedInfo), v.keyData.length / 2);
      expectHex(derived, v.keyData, 'key data');
    },
  };
}
