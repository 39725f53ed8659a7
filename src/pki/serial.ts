import { randomBytes } from 'node:crypto';

/**
 * A random positive 128-bit certificate serial number, as hex. The first byte is never zero, so
 * the number always has 128 significant bits; @peculiar/x509 prepends the 0x00 a DER INTEGER
 * needs when the top bit is set, so the value stays positive.
 */
export function randomSerialNumberHex(): string {
  for (;;) {
    const bytes = randomBytes(16);
    if (bytes[0] !== 0) return bytes.toString('hex');
  }
}
