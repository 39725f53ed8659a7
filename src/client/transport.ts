import { Agent, type Dispatcher } from 'undici';
import { CofferApiError, CofferConnectionError } from './errors.js';

export interface TransportOptions {
  readonly endpoints: readonly string[];
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly timeoutMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** A JSON body, serialized here … */
  readonly body?: unknown;
  /** … or one serialized already (a prepared batch sent many times). */
  readonly jsonText?: string;
  readonly token?: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Extra headers (a quorum approval). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the session's resource files need: one JSON request. */
export type Requester = <T>(method: HttpMethod, path: string, options?: RequestOptions) => Promise<T>;

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Transport errors that happen before a request reaches the node: failing over after them can
 * never run an operation twice. Any other transport error fails over only for GET.
 */
const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}

function isConnectPhaseError(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return false;
  // TLS handshake refusals (certificate checks, protocol version) also happen before any request byte.
  return (
    CONNECT_PHASE_CODES.has(code) ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    /CERT|SELF_SIGNED|UNABLE_TO_/.test(code)
  );
}

function normalizeEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'https:') throw new TypeError(`endpoint ${endpoint} must be an https:// URL`);
  return url.origin;
}

/**
 * HTTPS to a list of endpoints over one pooled undici Agent (keep-alive, TLS 1.3 only, the
 * cluster CA, an optional client certificate). Tries the endpoint that last answered first; on
 * a connection error tries the next one. An HTTP error answer is never retried elsewhere.
 */
export class Transport {
  readonly endpoints: readonly string[];
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private preferred = 0;

  constructor(options: TransportOptions) {
    if (options.endpoints.length === 0) throw new TypeError('at least one endpoint is required');
    this.endpoints = options.endpoints.map(normalizeEndpoint);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.agent = new Agent({
      connect: {
        ca: options.ca,
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        minVersion: 'TLSv1.3',
        timeout: Math.min(this.timeoutMs, MAX_CONNECT_TIMEOUT_MS),
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** The endpoint tried first on the next request: the last one that answered. */
  get currentEndpoint(): string {
    return this.endpoints[this.preferred] as string;
  }

  readonly request: Requester = async <T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> => {
    const causes: Error[] = [];
    const count = this.endpoints.length;
    for (let attempt = 0; attempt < count; attempt++) {
      const index = (this.preferred + attempt) % count;
      let response: Dispatcher.ResponseData;
      try {
        response = await this.agent.request({
          origin: this.endpoints[index] as string,
          path: withQuery(path, options.query),
          method,
          headers: headersFor(options),
          ...(options.jsonText !== undefined
            ? { body: options.jsonText }
            : options.body === undefined
              ? {}
              : { body: JSON.stringify(options.body) }),
        });
      } catch (error) {
        const asError = error instanceof Error ? error : new Error(String(error));
        causes.push(asError);
        if (isConnectPhaseError(error) || method === 'GET') continue;
        throw new CofferConnectionError(`request to ${this.endpoints[index]} failed: ${asError.message}`, causes);
      }
      this.preferred = index;
      return readAnswer<T>(response);
    }
    const last = causes[causes.length - 1];
    throw new CofferConnectionError(
      `no Coffer endpoint could be reached (${this.endpoints.join(', ')})${last ? `: ${last.message}` : ''}`,
      causes,
    );
  };

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function headersFor(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
  if (options.body !== undefined || options.jsonText !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return headers;
}

async function readAnswer<T>(response: Dispatcher.ResponseData): Promise<T> {
  const text = await response.body.text();
  const status = response.statusCode;
  if (status >= 200 && status < 300) {
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CofferApiError('MALFORMED_RESPONSE', status, 'The node answered with a body that is not JSON');
    }
  }
  throw errorFromAnswer(status, text);
}

function errorFromAnswer(status: number, text: string): CofferApiError {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const error: unknown = parsed.error;
      if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
        const message = 'message' in error && typeof error.message === 'string' ? error.message : error.code;
        const { code, message: _message, ...details } = error as Record<string, unknown> & { code: string };
        return new CofferApiError(code, status, message, details);
      }
    }
  } catch {
    // not JSON: fall through
  }
  return new CofferApiError(`HTTP_${status}`, status, `The node answered HTTP ${status} without an error code`);
}
