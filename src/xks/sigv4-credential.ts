import { randomBytes } from 'node:crypto';

/**
 * A new SigV4 credential for AWS KMS to sign XKS requests with (spec, Appendix A): an access key
 * id of 24 characters from A–Z and 2–7 (base32 of 15 random bytes: it says nothing of the
 * secret), and a secret access key of 256 random bits, base64-encoded as the spec suggests
 * (44 characters, within KMS's 43–64 of A–Z a–z 0–9 + / =). KMS signs with the secret's text, so
 * the bytes kept are that text's.
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'ascii');
export const ACCESS_KEY_ID = /^[A-Z2-7]{20,30}$/;

export function newCredential(): { accessKeyId: string; secret: Buffer } {
  const random = randomBytes(32);
  const secret = base64Bytes(random);
  random.fill(0);
  return { accessKeyId: base32(randomBytes(15)), secret };
}

/** Standard base64 written straight into a Buffer: the secret never passes through a string. */
export function base64Bytes(bytes: Buffer): Buffer {
  const out = Buffer.alloc(Math.ceil(bytes.length / 3) * 4, '=');
  for (let from = 0, to = 0; from < bytes.length; from += 3, to += 4) {
    const chunk = (bytes[from]! << 16) | ((bytes[from + 1] ?? 0) << 8) | (bytes[from + 2] ?? 0);
    const sextets = Math.min(4, bytes.length - from + 1);
    for (let index = 0; index < sextets; index++) out[to + index] = BASE64[(chunk >>> (18 - 6 * index)) & 63]!;
  }
  return out;
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}
