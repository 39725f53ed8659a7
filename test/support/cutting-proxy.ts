import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CuttingProxy {
  readonly url: string;
  /** From now on, cut the answer to the next request to this path (it reaches the node). */
  arm(path: string): void;
  /** How many answers were cut. */
  cut(): number;
  close(): Promise<void>;
}

export interface ProxyTls {
  /** The certificate it shows clients, and the CA it checks theirs against. */
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  /** The client certificate it shows the node. */
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * An HTTPS proxy in front of a node (TLS 1.3, mutual TLS on both sides) that forwards every
 * request and, once armed for a path, lets the node answer the next request to it in full and
 * then drops the client's connection instead of the answer: the request ran, its answer is lost.
 */
export async function cuttingProxy(target: string, tls: ProxyTls): Promise<CuttingProxy> {
  let armed: string | undefined;
  let cut = 0;
  const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.clientCert, key: tls.clientKey });
  const server = https.createServer(
    { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const headers: IncomingHttpHeaders = {};
        for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
        const upstream = https.request(`${target}${request.url ?? '/'}`, { method: request.method, headers, agent });
        upstream.on('response', (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            if (armed !== undefined && request.url === armed) {
              armed = undefined;
              cut++;
              request.socket.destroy();
              return;
            }
            const forwarded = { ...answer.headers };
            for (const name of HOP_BY_HOP) delete forwarded[name];
            response.writeHead(answer.statusCode ?? 502, forwarded);
            response.end(Buffer.concat(body));
          });
        });
        upstream.on('error', () => request.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm: (path) => {
      armed = path;
    },
    cut: () => cut,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
