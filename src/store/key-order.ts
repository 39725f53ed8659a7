/**
 * Key order for the state store: UTF-8 byte order, as etcd and SQLite's BINARY collation use.
 * UTF-8 byte order equals Unicode code point order, which differs from JavaScript's UTF-16
 * order for characters above U+FFFF, so keys are never compared with `<`.
 */

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/**
 * The smallest key greater than every key that starts with `prefix`, or undefined when there
 * is none ('' or a prefix of only U+10FFFF). Found by incrementing the last code point that
 * can be incremented, so the bound is itself valid UTF-8 (a byte increment may not be).
 */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0) ?? 0);
  while (codePoints.length > 0) {
    const last = codePoints.pop() ?? MAX_CODE_POINT;
    if (last < MAX_CODE_POINT) {
      const next = last + 1 === SURROGATE_FIRST ? SURROGATE_LAST + 1 : last + 1;
      return String.fromCodePoint(...codePoints, next);
    }
  }
  return undefined;
}
