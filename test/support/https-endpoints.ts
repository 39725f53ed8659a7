import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClusterCa, createKeyAndCsr, issueCertificate, privateKeyPem } from '../../src/pki/index.js';

/**
 * Real local HTTPS servers (TLS 1.3, mutual TLS, certificates from the cluster CA code), one per
 * endpoint, for the SDK's cluster tests: each answers as its `handle` says, records what it
 * saw, and can be stopped and started again on the same port.
 */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type EndpointHandler = (request: SeenRequest, response: ServerResponse) => void;

export interface TestEndpoint {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Replaceable: how it answers. Default: health ok, 200 `{}` for the rest. */
  handle: EndpointHandler;
  /** Stops listening and drops every connection (a crashed node). */
  stop(): Promise<void>;
  /** Listens again on the same port (nothing when it listens already). */
  start(): Promise<void>;
}

export interface TestEndpoints {
  readonly ca: string;
  readonly client: { readonly cert: string; readonly key: string };
  readonly endpoints: TestEndpoint[];
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export const healthy =
  (zone?: string): EndpointHandler =>
  (request, response) => {
    if (request.url === '/v1/health')
      return sendJson(response, 200, { status: 'ok', sealed: false, version: '0', ...(zone && { zone }) });
    sendJson(response, 200, {});
  };

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTestEndpoints(count: number): Promise<TestEndpoints> {
  const clusterCa = await createClusterCa({ clusterId: 'sdk-cluster-test' });
  const ca = clusterCa.certificatePem;
  const nodeKey = await createKeyAndCsr({ commonName: 'node' });
  const cert = await issueCertificate(clusterCa, nodeKey.csrPem, { profile: 'node', ipAddresses: ['127.0.0.1'] });
  const clientKey = await createKeyAndCsr({ commonName: 'sdk' });
  const client = {
    key: privateKeyPem(clientKey.privateKey),
    cert: await issueCertificate(clusterCa, clientKey.csrPem, { profile: 'client' }),
  };
  const tls = {
    key: privateKeyPem(nodeKey.privateKey),
    cert,
    ca: [ca],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3' as const,
  };
  const endpoints: TestEndpoint[] = [];
  for (let i = 0; i < count; i++) {
    let server: https.Server | undefined;
    let port = 0;
    const endpoint: TestEndpoint = {
      url: '',
      seen: [],
      handle: healthy(),
      async start() {
        if (server) return;
        const started = https.createServer(tls, (request, response) => {
          void readBody(request).then((body) => {
            const seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
            endpoint.seen.push(seen);
            endpoint.handle(seen, response);
          });
        });
        await new Promise<void>((resolve) => started.listen(port, '127.0.0.1', resolve));
        port = (started.address() as AddressInfo).port;
        server = started;
        (endpoint as { url: string }).url = `https://127.0.0.1:${port}`;
      },
      async stop() {
        const stopping = server;
        server = undefined;
        if (!stopping) return;
        stopping.closeAllConnections();
        await new Promise<void>((resolve) => stopping.close(() => resolve()));
      },
    };
    await endpoint.start();
    endpoints.push(endpoint);
  }
  return {
    ca,
    client,
    endpoints,
    async close() {
      for (const endpoint of endpoints) await endpoint.stop();
    },
  };
}
