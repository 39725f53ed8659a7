import { Agent, request } from 'undici';

/**
 * A raw HTTPS client for the /v1 API, for tests that must send exactly what they mean
 * (malformed JSON, unknown fields, wrong content types) — things the SDK refuses to produce.
 */
export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

export interface RawRequest {
  readonly body?: unknown;
  /** Sent as-is, overriding `body`. */
  readonly raw?: string | Buffer;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

export class Api {
  private readonly agent: Agent;

  constructor(
    readonly url: string,
    tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
  ) {
    this.agent = new Agent({ connect: { ...tls, minVersion: 'TLSv1.3' } });
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RawRequest = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const answer = await request(this.url + path, { method: method as 'GET', headers, body, dispatcher: this.agent });
    const text = await answer.body.text();
    return { status: answer.statusCode, body: (text ? JSON.parse(text) : {}) as T, text };
  }

  /** Logs in and returns the session token (throws on failure). */
  async login(username: string, password: string): Promise<string> {
    const answer = await this.call<{ token: string }>('POST', '/v1/sessions', { body: { username, password } });
    if (answer.status !== 201) throw new Error(`login ${username} failed: ${answer.text}`);
    return answer.body.token;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The error code of an error answer. */
export function codeOf(answer: ApiAnswer<unknown>): string | undefined {
  return (answer.body as { error?: { code?: string } }).error?.code;
}
