import { createPrivateKey } from 'node:crypto';
import { signAsync } from '../async-sign.js';
import type { SelfTest } from '../types.js';
import { expectHex, hex } from './expect.js';

export interface Ed25519Vector {
  /** The 32-byte seed. A published test value, not a secret. */
  readonly seed: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
}

/** RFC 8032 §7.1, TEST 1: empty message. Ed25519 is deterministic, so signing has a known answer. */
export const RFC8032_TEST1: Ed25519Vector = {
  seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac' +
    'c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

export function ed25519SignKat(v: Ed25519Vector = RFC8032_TEST1): SelfTest {
  return {
    name: 'Ed25519 sign KAT',
    async run() {
      const jwk = {
        kty: 'OKP',
        crv: 'Ed25519',
        d: hex(v.seed).toString('base64url'),
        x: hex(v.publicKey).toString('base64url'),
      };
      const key = createPrivateKey({ key: jwk, format: 'jwk' });
      expectHex(await signAsync(null, hex(v.message), key), v.signature, 'signature');
    },
  };
}
