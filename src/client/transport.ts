import { Agent } from 'undici';
import { EndpointPool, type EndpointState } from './endpoint-pool.js';
import { parseEndpoint, type EndpointInput } from './endpoints.js';
import { CofferApiError, CofferConnectionError } from './errors.js';
import { HealthMonitor } from './health-monitor.js';
import { acceptsIdempotencyKey, IDEMPOTENCY_HEADER, newIdempotencyKey } from './idempotent-routes.js';

export interface TransportOptions {
  /** Node URLs: `https://host:port`, optionally `#zone`, or `{url, zone}`. */
  readonly endpoints: readonly EndpointInput[];
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly timeoutMs?: number;
  /** The client's zone: endpoints in it are preferred while one of them is healthy. */
  readonly zone?: string;
  /** Also use the nodes the endpoints list (GET /v1/cluster/nodes), refreshed every `discoveryIntervalMs`. */
  readonly discover?: boolean;
  readonly discoveryIntervalMs?: number;
  /** How often healthy endpoints are health-checked in the background (0: only failed ones). */
  readonly healthCheckIntervalMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** A JSON body, serialized here … */
  readonly body?: unknown;
  /** … or one serialized already (a prepared batch sent many times). */
  readonly jsonText?: string;
  readonly token?: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Extra headers (a quorum approval; an Idempotency-Key of the caller's own). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the session's resource files need: one JSON request. */
export type Requester = <T>(method: HttpMethod, path: string, options?: RequestOptions) => Promise<T>;

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_CONNECT_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 5_000;
const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
const DEFAULT_DISCOVERY_INTERVAL_MS = 60_000;

/**
 * Transport errors that happen before a request reaches the node: failing over after them can
 * never run an operation twice.
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

/**
 * After which failures a request is tried on another endpoint:
 *
 *   | failure                                             | retried elsewhere                    |
 *   |-----------------------------------------------------|--------------------------------------|
 *   | before the request left (refused, TLS handshake)    | always                               |
 *   | after it left (reset, timeout)                      | GET, or a write with Idempotency-Key |
 *   | 503 NODE_SEALED: the node ran nothing               | always                               |
 *   | a 503 without a code (a closing node, a proxy)      | GET, or a write with Idempotency-Key |
 *   | any other answer, errors included                   | never                                |
 */
function retriedAfterSend(method: HttpMethod, idempotent: boolean): boolean {
  return method === 'GET' || idempotent;
}

function unavailable(error: CofferApiError, retriable: boolean): boolean {
  if (error.status !== 503) return false;
  return error.code === 'NODE_SEALED' || (error.code === 'HTTP_503' && retriable);
}

/**
 * HTTPS to a cluster over one pooled undici Agent (keep-alive, TLS 1.3 only, the cluster CA,
 * an optional client certificate). Each request goes to the healthy endpoint with the fewest
 * requests outstanding, in the client's zone first (endpoint-pool.ts); a failed endpoint is out
 * until a background health check finds it serving again. Writes carry an Idempotency-Key,
 * the same on every retry, so they may be retried after a lost answer.
 */
export class Transport {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly pool: EndpointPool;
  private readonly monitor: HealthMonitor;
  private readonly discoveryIntervalMs: number | undefined;
  private discovery: Promise<void> | undefined;
  private firstDiscovery: Promise<void> | undefined;
  private discoveredAt = 0;
  private lastAnswered: string;

  constructor(options: TransportOptions) {
    if (options.endpoints.length === 0) throw new TypeError('at least one endpoint is required');
    this.pool = new EndpointPool(options.endpoints.map(parseEndpoint), {
      ...(options.zone !== undefined && { zone: options.zone }),
    });
    this.lastAnswered = this.pool.urls[0]!;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.discoveryIntervalMs = options.discover
      ? (options.discoveryIntervalMs ?? DEFAULT_DISCOVERY_INTERVAL_MS)
      : undefined;
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
    this.monitor = new HealthMonitor(this.pool, (url) => this.probe(url), {
      intervalMs: options.healthCheckIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS,
    });
    this.monitor.start();
  }

  /** Every endpoint known (given and discovered). */
  get endpoints(): readonly string[] {
    return this.pool.urls;
  }

  /** The endpoint that answered last. */
  get currentEndpoint(): string {
    return this.lastAnswered;
  }

  /** What the transport knows of each endpoint: zone, health, requests outstanding. */
  endpointStates(): readonly EndpointState[] {
    return this.pool.states();
  }

  readonly request: Requester = async <T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> => {
    await this.discovered();
    const idempotent = acceptsIdempotencyKey(method, path);
    // The caller's own key is kept; else one per call, the same on each retry.
    const headers = headersFor(options, idempotent ? newIdempotencyKey() : undefined);
    const causes: Error[] = [];
    const tried = new Set<string>();
    for (let url = this.pool.pick(tried); url !== undefined; url = this.pool.pick(tried)) {
      tried.add(url);
      this.pool.begin(url);
      let status: number;
      let text: string;
      try {
        const response = await this.agent.request({
          origin: url,
          path: withQuery(path, options.query),
          method,
          headers,
          ...bodyOf(options),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        const asError = error instanceof Error ? error : new Error(String(error));
        causes.push(asError);
        this.failed(url);
        if (isConnectPhaseError(error) || retriedAfterSend(method, IDEMPOTENCY_HEADER in headers)) continue;
        throw new CofferConnectionError(`request to ${url} failed: ${asError.message}`, causes);
      } finally {
        this.pool.end(url);
      }
      const answer = readAnswer<T>(status, text);
      if (
        answer instanceof CofferApiError &&
        unavailable(answer, retriedAfterSend(method, IDEMPOTENCY_HEADER in headers))
      ) {
        causes.push(answer);
        this.failed(url);
        continue;
      }
      this.pool.answered(url);
      this.lastAnswered = url;
      if (answer instanceof CofferApiError) throw answer;
      return answer;
    }
    const last = causes[causes.length - 1];
    throw new CofferConnectionError(
      `no Coffer endpoint could be reached (${this.pool.urls.join(', ')})${last ? `: ${last.message}` : ''}`,
      causes,
    );
  };

  async close(): Promise<void> {
    this.monitor.stop();
    await this.agent.close();
  }

  private failed(url: string): void {
    this.pool.failed(url);
    this.monitor.wake();
  }

  /** One health check: whether it serves (answers, unsealed) and its zone; a rejection when unreachable. */
  private async probe(url: string): Promise<{ serving: boolean; zone?: string }> {
    const response = await this.agent.request({
      origin: url,
      path: '/v1/health',
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: HEALTH_TIMEOUT_MS,
      bodyTimeout: HEALTH_TIMEOUT_MS,
    });
    const health = readAnswer<{ sealed?: boolean; zone?: string }>(response.statusCode, await response.body.text());
    if (health instanceof CofferApiError) return { serving: false };
    return { serving: health.sealed === false, ...(typeof health.zone === 'string' && { zone: health.zone }) };
  }

  /** With `discover`: the cluster's node list, read before the first request, refreshed beside later ones. */
  private async discovered(): Promise<void> {
    if (this.discoveryIntervalMs === undefined) return;
    if (this.discovery === undefined && Date.now() - this.discoveredAt >= this.discoveryIntervalMs) {
      this.discoveredAt = Date.now();
      const refresh = this.discover().finally(() => {
        this.discovery = undefined;
      });
      this.discovery = refresh;
      this.firstDiscovery ??= refresh;
    }
    await this.firstDiscovery;
  }

  private async discover(): Promise<void> {
    const tried = new Set<string>();
    for (let url = this.pool.pick(tried); url !== undefined; url = this.pool.pick(tried)) {
      tried.add(url);
      try {
        const response = await this.agent.request({ origin: url, path: '/v1/cluster/nodes', method: 'GET' });
        const answer = readAnswer<{ nodes?: unknown }>(response.statusCode, await response.body.text());
        if (answer instanceof CofferApiError || !Array.isArray(answer.nodes)) continue;
        this.pool.merge(answer.nodes.flatMap(nodeSpec));
        return;
      } catch {
        this.failed(url);
      }
    }
  }
}

/** A listed node, if well-formed (an https URL, a string zone). */
function nodeSpec(node: unknown): { url: string; zone?: string }[] {
  if (typeof node !== 'object' || node === null || !('url' in node) || typeof node.url !== 'string') return [];
  const zone = 'zone' in node && typeof node.zone === 'string' ? node.zone : undefined;
  try {
    return [parseEndpoint({ url: node.url, ...(zone !== undefined && { zone }) })];
  } catch {
    return [];
  }
}

function bodyOf(options: RequestOptions): { body?: string } {
  if (options.jsonText !== undefined) return { body: options.jsonText };
  return options.body === undefined ? {} : { body: JSON.stringify(options.body) };
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

function headersFor(options: RequestOptions, idempotencyKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.accept = 'application/json';
  if (options.body !== undefined || options.jsonText !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (idempotencyKey !== undefined && headers[IDEMPOTENCY_HEADER] === undefined)
    headers[IDEMPOTENCY_HEADER] = idempotencyKey;
  return headers;
}

/** The answer's JSON, or the error it carries (returned, for the caller to judge where it came from). */
function readAnswer<T>(status: number, text: string): T | CofferApiError {
  if (status >= 200 && status < 300) {
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return new CofferApiError('MALFORMED_RESPONSE', status, 'The node answered with a body that is not JSON');
    }
  }
  return errorFromAnswer(status, text);
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
