import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 verification (AWS4-HMAC-SHA256, in the Authorization header), for
 * any AWS-shaped API of the node: the KMS-compatible API signs with service `kms`, the XKS
 * proxy API with `kms-xks-proxy`. The verifier says why a request fails; each API maps the reason
 * onto its own error shape.
 *
 * What it checks, in order: the header parses and names the algorithm; host and x-amz-date
 * (and the API's own headers) are signed; the credential scope is `<day>/<region>/<service>/
 * aws4_request` with the day of x-amz-date; x-amz-date is within the skew window of now; the
 * access key is known (the caller's lookup); x-amz-content-sha256, when sent, is the body's
 * hash; and the signature — recomputed over the canonical request — matches, compared in
 * constant time.
 */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS's window: a request dated more than five minutes from the node's clock is refused. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** The parts of a request the signature covers, as they came over the wire. */
export interface SignedRequest {
  readonly method: string;
  /** The path and query as sent (`/`, `/kms/xks/v1/keys/k1/encrypt?x=1`), still percent-encoded. */
  readonly url: string;
  /** Alternating names and values, as Node's `rawHeaders` (duplicates kept, case as sent). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface SigV4Options<C extends { readonly secret: Buffer }> {
  /** The service the scope must name: `kms`, `kms-xks-proxy`. */
  readonly service: string;
  /** Whether the scope's region is served; every region when absent. */
  readonly region?: (region: string) => boolean;
  /** Headers that must be signed besides host and x-amz-date (lower case). */
  readonly requiredHeaders?: readonly string[];
  readonly maxSkewMs?: number;
  readonly clock?: () => Date;
  /**
   * The credential of an access key id, with its secret (the bytes the HMAC chain starts from),
   * or undefined when the key is unknown or may not be used. A refused signature zeroes the
   * secret here; an accepted one returns the credential, and the caller zeroes it.
   */
  readonly credential: (accessKeyId: string) => Promise<C | undefined>;
}

/** Why a request's signature is refused. */
export type SigV4Failure =
  /** No Authorization header, another scheme, or a malformed one (AWS: IncompleteSignature). */
  | 'incomplete'
  /** A credential scope for another service, a region not served, or another day. */
  | 'scope'
  /** x-amz-date outside the skew window (AWS: "Signature expired"). */
  | 'expired'
  /** No such access key, one that may not be used, or a session token (AWS: UnrecognizedClient). */
  | 'unknown-key'
  /** x-amz-content-sha256 is not the body's hash. */
  | 'payload'
  /** The signature does not match (AWS: InvalidSignature). */
  | 'signature';

export type SigV4Result<C> =
  | { readonly ok: true; readonly accessKeyId: string; readonly region: string; readonly credential: C }
  | { readonly ok: false; readonly failure: SigV4Failure; readonly detail: string; readonly accessKeyId?: string };

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly day: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: Buffer;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]{1,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]{1,2048}),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export async function verifySigV4<C extends { readonly secret: Buffer }>(
  request: SignedRequest,
  options: SigV4Options<C>,
): Promise<SigV4Result<C>> {
  const headers = canonicalHeaderValues(request.rawHeaders);
  const fail = (failure: SigV4Failure, detail: string, accessKeyId?: string): SigV4Result<C> => ({
    ok: false,
    failure,
    detail,
    ...(accessKeyId !== undefined && { accessKeyId }),
  });
  const authorization = headers.get('authorization');
  if (authorization === undefined) return fail('incomplete', 'the request has no Authorization header');
  const parsed = parseAuthorization(authorization);
  if (!parsed) return fail('incomplete', `the Authorization header is not a well-formed ${SIGV4_ALGORITHM} one`);
  const { accessKeyId } = parsed;
  const required = ['host', 'x-amz-date', ...(options.requiredHeaders ?? [])];
  const missing = required.find((name) => !parsed.signedHeaders.includes(name) || !headers.has(name));
  if (missing !== undefined) return fail('incomplete', `the header ${missing} must be sent and signed`, accessKeyId);
  const unsent = parsed.signedHeaders.find((name) => !headers.has(name));
  if (unsent !== undefined) return fail('incomplete', `the signed header ${unsent} was not sent`, accessKeyId);
  const amzDate = headers.get('x-amz-date')!;
  const when = parseAmzDate(amzDate);
  if (when === undefined) return fail('incomplete', 'x-amz-date is not YYYYMMDDTHHMMSSZ', accessKeyId);
  if (parsed.service !== options.service)
    return fail('scope', `the credential scope names service ${parsed.service}, not ${options.service}`, accessKeyId);
  if (options.region && !options.region(parsed.region))
    return fail('scope', `region ${parsed.region} is not served here`, accessKeyId);
  if (parsed.day !== amzDate.slice(0, 8))
    return fail('scope', 'the credential scope is not dated the day of x-amz-date', accessKeyId);
  const now = (options.clock ?? (() => new Date()))().getTime();
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(now - when) > skew)
    return fail('expired', `signature expired: ${amzDate} is more than ${skew / 60_000} minutes from now`, accessKeyId);
  if (headers.has('x-amz-security-token'))
    return fail('unknown-key', 'temporary credentials (session tokens) are not issued here', accessKeyId);
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const claimed = headers.get('x-amz-content-sha256');
  if (claimed !== undefined && claimed !== payloadHash)
    return fail('payload', 'x-amz-content-sha256 is not the hash of the body', accessKeyId);

  const credential = await options.credential(accessKeyId);
  if (!credential) return fail('unknown-key', 'the access key is unknown or not active', accessKeyId);
  const stringToSign = [
    SIGV4_ALGORITHM,
    amzDate,
    `${parsed.day}/${parsed.region}/${parsed.service}/aws4_request`,
    sha256Hex(canonicalRequest(request, parsed.signedHeaders, headers, payloadHash)),
  ].join('\n');
  const key = signingKey(credential.secret, parsed.day, parsed.region, parsed.service);
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  key.fill(0);
  // Both are 32 bytes (the header pattern takes exactly 64 hex digits).
  if (!timingSafeEqual(expected, parsed.signature)) {
    credential.secret.fill(0);
    return fail('signature', 'the signature does not match the request', accessKeyId);
  }
  return { ok: true, accessKeyId, region: parsed.region, credential };
}

/** kSigning = HMAC chain from "AWS4" ‖ secret over day, region, service, "aws4_request". */
export function signingKey(secret: Buffer, day: string, region: string, service: string): Buffer {
  const start = Buffer.concat([Buffer.from('AWS4', 'ascii'), secret]);
  let key: Buffer = start;
  for (const part of [day, region, service, 'aws4_request']) {
    const next = createHmac('sha256', key).update(part, 'utf8').digest();
    key.fill(0);
    key = next;
  }
  return key;
}

/** The canonical request of SigV4: method, path, query, signed headers, their names, payload hash. */
export function canonicalRequest(
  request: Pick<SignedRequest, 'method' | 'url'>,
  signedHeaders: readonly string[],
  headers: ReadonlyMap<string, string>,
  payloadHash: string = EMPTY_SHA256,
): string {
  const queryAt = request.url.indexOf('?');
  const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
  return [
    request.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    ...signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}`),
    '',
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/**
 * The path as sent, with empty and `.` segments dropped and `..` applied, then URI-encoded once
 * more (every AWS service but S3 signs the path encoded twice).
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const joined = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(joined).replace(/%2F/g, '/');
}

/** Query parameters decoded, re-encoded the SigV4 way, sorted by name then value. */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals < 0 ? part : part.slice(0, equals);
      const value = equals < 0 ? '' : part.slice(equals + 1);
      return [escapeUri(safeDecode(name)), escapeUri(safeDecode(value))] as const;
    });
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Header values by lower-case name: duplicates joined by commas, whitespace runs folded, trimmed. */
export function canonicalHeaderValues(rawHeaders: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    const value = rawHeaders[index + 1]!.replace(/[\r\n]/g, ' ')
      .replace(/[ \t]+/g, ' ')
      .trim();
    const before = values.get(name);
    values.set(name, before === undefined ? value : `${before},${value}`);
  }
  return values;
}

/** RFC 3986 encoding as AWS applies it: encodeURIComponent plus ! ' ( ) *. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const match = AUTHORIZATION.exec(header);
  if (!match) return undefined;
  const signedHeaders = match[5]!.split(';');
  // SignedHeaders are sorted, unique and lower case, as the canonical request lists them.
  const sorted = [...new Set(signedHeaders)].sort();
  if (sorted.length !== signedHeaders.length || sorted.some((name, index) => name !== signedHeaders[index]))
    return undefined;
  return {
    accessKeyId: match[1]!,
    day: match[2]!,
    region: match[3]!,
    service: match[4]!,
    signedHeaders,
    signature: Buffer.from(match[6]!, 'hex'),
  };
}

/** Milliseconds since the epoch of an x-amz-date; undefined when it is not a valid instant. */
function parseAmzDate(value: string): number | undefined {
  const match = AMZ_DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(time);
  return check.getUTCDate() === day && check.getUTCHours() === hour ? time : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
