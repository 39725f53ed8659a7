/**
 * The little DER the PKCS#11 attributes need: reading one TLV and the TLVs inside a
 * constructed one (to take a certificate's Names and serial as their exact bytes), and writing
 * OCTET STRINGs, OBJECT IDENTIFIERs and PrintableStrings (CKA_EC_POINT, CKA_EC_PARAMS). Reading
 * never trusts a length: anything that runs past its container is `undefined`.
 */
export const TAG = { INTEGER: 0x02, OCTET_STRING: 0x04, OID: 0x06, PRINTABLE_STRING: 0x13, SEQUENCE: 0x30 } as const;

export interface Tlv {
  readonly tag: number;
  /** The whole element, header included. */
  readonly element: Buffer;
  readonly content: Buffer;
}

/** The TLV at `offset` of `bytes`, or undefined when it is not well-formed DER within `bytes`. */
export function readTlv(bytes: Buffer, offset = 0): Tlv | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const tag = bytes[offset]!;
  // Multi-byte tags are not needed here (and not in X.509's fields read).
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > bytes.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    // DER: the shortest form, no leading zero byte.
    if (length < 0x80 || bytes[offset + 2] === 0) return undefined;
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) return undefined;
  return { tag, element: bytes.subarray(offset, end), content: bytes.subarray(offset + header, end) };
}

/** The TLV that is all of `bytes`, or undefined when bytes are left over or missing. */
export function readWhole(bytes: Buffer): Tlv | undefined {
  const tlv = readTlv(bytes);
  return tlv && tlv.element.length === bytes.length ? tlv : undefined;
}

/** The TLVs inside a constructed element's content, or undefined when they do not fill it exactly. */
export function children(content: Buffer): Tlv[] | undefined {
  const found: Tlv[] = [];
  for (let offset = 0; offset < content.length;) {
    const tlv = readTlv(content, offset);
    if (!tlv) return undefined;
    found.push(tlv);
    offset += tlv.element.length;
  }
  return found;
}

export function encodeTlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

export function octetString(content: Buffer): Buffer {
  return encodeTlv(TAG.OCTET_STRING, content);
}

export function printableString(text: string): Buffer {
  return encodeTlv(TAG.PRINTABLE_STRING, Buffer.from(text, 'ascii'));
}

/** The DER of an OBJECT IDENTIFIER in dotted form (1.2.840.10045.3.1.7). */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const body: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const base128: number[] = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128))
      base128.unshift((rest & 0x7f) | 0x80);
    body.push(...base128);
  }
  return encodeTlv(TAG.OID, Buffer.from(body));
}
