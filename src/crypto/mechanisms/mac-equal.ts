import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a computed MAC with a presented one in constant time. A presented MAC of another
 * length is simply wrong (false, never an error); only the length leaks, and it is public.
 */
export function macEqual(computed: Buffer, presented: Buffer): boolean {
  return Buffer.isBuffer(presented) && presented.length === computed.length && timingSafeEqual(computed, presented);
}
