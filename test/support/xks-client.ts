import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request } from 'undici';
import { ClientProcesses } from './client-processes.js';

/**
 * Clients of the XKS proxy API as AWS KMS calls it: POST, JSON, signed with AWS SigV4 for the
 * service kms-xks-proxy (spec, Appendix A) — by the AWS SDK's own signer, or by curl's
 * `--aws-sigv4` (spec, Appendix D). Loopback only.
 */
export interface XksCredential {
  readonly accessKeyId: string;
  readonly secret: string;
}

export interface XksAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface SignOptions {
  readonly region?: string;
  readonly service?: string;
  readonly date?: Date;
  readonly method?: string;
  /** Send without any signature. */
  readonly unsigned?: boolean;
  /** Changes the request after signing (a tampered body, header or path). */
  readonly afterSigning?: (signed: { path: string; headers: Record<string, string>; body: string }) => void;
}

export const SERVICE = 'kms-xks-proxy';
export const REGION = 'us-east-1';

export class XksClient {
  private readonly agent: Agent;
  private readonly port: number;

  constructor(
    readonly url: string,
    tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
  ) {
    this.agent = new Agent({ connect: { ...tls } });
    this.port = Number(new URL(url).port);
  }

  /** Signs with the AWS SDK's SignatureV4 exactly as KMS would, and sends what was signed. */
  async call(path: string, body: unknown, credential: XksCredential, options: SignOptions = {}): Promise<XksAnswer> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const method = options.method ?? 'POST';
    const unsignedHeaders = { host: `127.0.0.1:${this.port}`, 'content-type': 'application/json' };
    let headers: Record<string, string> = unsignedHeaders;
    if (!options.unsigned) {
      const signer = new SignatureV4({
        service: options.service ?? SERVICE,
        region: options.region ?? REGION,
        credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secret },
        sha256: Sha256,
      });
      const unsigned = new HttpRequest({
        method,
        protocol: 'https:',
        hostname: '127.0.0.1',
        port: this.port,
        path,
        headers: unsignedHeaders,
        ...(method === 'GET' ? {} : { body: text }),
      });
      const signed = (await signer.sign(unsigned, { signingDate: options.date ?? new Date() })) as HttpRequest;
      headers = signed.headers;
    }
    const sent = { path, headers: { ...headers }, body: text };
    options.afterSigning?.(sent);
    const answer = await request(this.url + sent.path, {
      method: method as 'POST',
      headers: sent.headers,
      ...(method === 'GET' ? {} : { body: sent.body }),
      dispatcher: this.agent,
    });
    const answerText = await answer.body.text();
    return {
      status: answer.statusCode,
      body: (answerText ? JSON.parse(answerText) : {}) as Record<string, unknown>,
      text: answerText,
      headers: answer.headers,
    };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** curl --aws-sigv4 "aws:amz:<region>:kms-xks-proxy", the credential in a 0600 config file, not argv. */
export class XksCurl {
  private readonly processes = new ClientProcesses(() => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' }));

  constructor(
    private readonly url: string,
    private readonly dir: string,
    private readonly ca: string,
  ) {}

  async call(path: string, body: unknown, credential: XksCredential, region = REGION): Promise<XksAnswer> {
    const config = join(this.dir, `curl-${Date.now()}-${Math.random().toString(16).slice(2)}.conf`);
    await writeFile(config, `user = "${credential.accessKeyId}:${credential.secret}"\n`, { mode: 0o600 });
    const ran = await this.processes.run('curl', [
      '--silent',
      '--show-error',
      '--config',
      config,
      '--aws-sigv4',
      `aws:amz:${region}:${SERVICE}`,
      '--cacert',
      this.ca,
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      typeof body === 'string' ? body : JSON.stringify(body),
      '--write-out',
      '\n%{http_code}',
      this.url + path,
    ]);
    if (ran.code !== 0) throw new Error(`curl failed (${ran.code}): ${ran.stderr}`);
    const at = ran.stdout.lastIndexOf('\n');
    const text = ran.stdout.slice(0, at);
    return {
      status: Number(ran.stdout.slice(at + 1)),
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
      text,
      headers: {},
    };
  }

  stop(): Promise<void> {
    return this.processes.stopAll();
  }
}
