import type { KeyObject } from 'node:crypto';

/**
 * Finds protected key material in API answers. A secret of 16 bytes or more is found by any 16
 * contiguous bytes of it; a shorter one (8–15 bytes: small generic secrets) by its whole value.
 * An answer is searched as raw text, and as the decoded binary of every string in its JSON (as
 * base64/base64url and, when it looks like it, hex) and of every base64 or hex run in its text.
 */
export const LEAK_WINDOW_BYTES = 16;
export const SHORT_SECRET_MIN_BYTES = 8;

export interface Leak {
  /** Which protected key (as given to protect()). */
  readonly name: string;
  /** Where in the answer: a JSON path or a text run. */
  readonly where: string;
}

/** A key's secret numbers: a secret key's value; a private key's d, p, q (and CRT values). */
export function secretsOf(key: KeyObject): Buffer[] {
  if (key.type === 'secret') return [key.export()];
  if (key.type !== 'private') return [];
  const jwk = key.export({ format: 'jwk' });
  return (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).flatMap((field) => {
    const value = jwk[field];
    return typeof value === 'string' ? [Buffer.from(value, 'base64url')] : [];
  });
}

interface Haystack {
  readonly where: string;
  readonly bytes: Buffer;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /[0-9a-fA-F]{16,}/g;
const HEX_ONLY = /^(?:[0-9a-fA-F]{2})+$/;

function decodings(where: string, text: string): Haystack[] {
  const found: Haystack[] = [];
  // Buffer's base64 decoder takes both alphabets; shifting the start covers a run whose
  // base64 begins mid-run (a prefix glued on).
  for (let shift = 0; shift < 4 && shift < text.length; shift++)
    found.push({ where: `${where} (base64+${shift})`, bytes: Buffer.from(text.slice(shift), 'base64') });
  if (HEX_ONLY.test(text)) found.push({ where: `${where} (hex)`, bytes: Buffer.from(text, 'hex') });
  return found;
}

function jsonStrings(value: unknown, path: string, out: { path: string; text: string }[]): void {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((item, index) => jsonStrings(item, `${path}[${index}]`, out));
  else if (value !== null && typeof value === 'object')
    for (const [name, item] of Object.entries(value)) jsonStrings(item, `${path}.${name}`, out);
}

/** Every binary an answer's text could carry. */
export function haystacksOf(text: string): Haystack[] {
  const haystacks: Haystack[] = [{ where: 'raw text', bytes: Buffer.from(text, 'utf8') }];
  const strings: { path: string; text: string }[] = [];
  try {
    jsonStrings(JSON.parse(text) as unknown, '$', strings);
  } catch {
    // Not JSON: the text runs below still cover it.
  }
  for (const { path, text: value } of strings) haystacks.push(...decodings(path, value));
  for (const match of text.matchAll(BASE64_RUN)) haystacks.push(...decodings(`text run @${match.index}`, match[0]));
  for (const match of text.matchAll(HEX_RUN)) {
    const run = match[0];
    for (const shift of [0, 1]) {
      const even = run.slice(shift, shift + ((run.length - shift) & ~1));
      haystacks.push({ where: `hex run @${match.index}+${shift}`, bytes: Buffer.from(even, 'hex') });
    }
  }
  return haystacks;
}

export class LeakFinder {
  /** Every 16-byte window of every long secret, as hex → the key's name. */
  private readonly windows = new Map<string, string>();
  private readonly shortSecrets: { readonly name: string; readonly bytes: Buffer }[] = [];
  private readonly names = new Set<string>();

  /** Marks a key's secret bytes as never to be seen. Secrets under 8 bytes are not searched. */
  protect(name: string, secret: Buffer): void {
    this.names.add(name);
    if (secret.length >= LEAK_WINDOW_BYTES) {
      for (let start = 0; start + LEAK_WINDOW_BYTES <= secret.length; start++)
        this.windows.set(secret.subarray(start, start + LEAK_WINDOW_BYTES).toString('hex'), name);
    } else if (secret.length >= SHORT_SECRET_MIN_BYTES) {
      this.shortSecrets.push({ name, bytes: Buffer.from(secret) });
    }
  }

  isProtected(name: string): boolean {
    return this.names.has(name);
  }

  get size(): number {
    return this.names.size;
  }

  /** The first protected secret the answer text carries, if any. */
  findIn(text: string): Leak | undefined {
    for (const { where, bytes } of haystacksOf(text)) {
      const leak = this.findInBytes(bytes);
      if (leak !== undefined) return { name: leak, where };
    }
    return undefined;
  }

  private findInBytes(bytes: Buffer): string | undefined {
    for (let start = 0; start + LEAK_WINDOW_BYTES <= bytes.length; start++) {
      const name = this.windows.get(bytes.subarray(start, start + LEAK_WINDOW_BYTES).toString('hex'));
      if (name !== undefined) return name;
    }
    return this.shortSecrets.find((secret) => bytes.includes(secret.bytes))?.name;
  }
}
