/**
 * The sealed node's side of peer unseal: one request to one peer over mutual TLS with this
 * node's certificate. Before the answer is used, the peer's own TLS certificate must be a node
 * certificate of this cluster, not revoked, naming the node the answer names — a store record
 * pointing somewhere else gets nothing, and gives nothing.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { CofferError, isCofferError } from '../../errors/coffer-error.js';
import { checkNodeCertificate } from '../../pki/index.js';
import type { RevocationList } from '../membership/revocations.js';
import { finishExchange, startExchange, tlsExporter } from './exchange.js';
import type { PeerUnsealAnswer } from './peer-unseal-service.js';

export interface NodeIdentityFiles {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly caPem: string;
}

export const PEER_UNSEAL_PATH = '/v1/cluster/peer-unseal';
const MAX_ANSWER_BYTES = 16 * 1024;

/** Asks the node at `url` for the root key; resolves to it (the caller zeroes it) or throws. */
export async function askPeer(
  url: string,
  self: NodeIdentityFiles,
  revocations: Pick<RevocationList, 'isRevoked'>,
  timeoutMs = 10_000,
): Promise<{ rootKey: Buffer; peerId: string }> {
  const secret = startExchange();
  const body = JSON.stringify({ nodeId: self.nodeId, ephemeralPublicKey: secret.publicKey.toString('base64') });
  const reply = await post(new URL(PEER_UNSEAL_PATH, url), body, self, timeoutMs);
  const checked = checkNodeCertificate(reply.peerCertificate, self.caPem, self.clusterId);
  if (typeof checked === 'string') throw new CofferError('PEER_UNSEAL_REFUSED', `the peer's certificate is ${checked}`);
  if (revocations.isRevoked(checked.serialNumber))
    throw new CofferError('PEER_UNSEAL_REFUSED', "the peer's certificate was revoked");
  if (checked.nodeId === self.nodeId) throw new CofferError('PEER_UNSEAL_REFUSED', 'the peer is this node');
  if (reply.status !== 200)
    throw new CofferError('PEER_UNSEAL_REFUSED', `peer ${checked.nodeId}: ${errorCode(reply.text)}`);
  const answer = parseAnswer(reply.text);
  if (answer.nodeId !== checked.nodeId)
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the answer names another node than the peer certificate');
  const rootKey = finishExchange(
    secret,
    {
      ephemeralPublicKey: Buffer.from(answer.ephemeralPublicKey, 'base64'),
      salt: Buffer.from(answer.salt, 'base64'),
      nonce: Buffer.from(answer.nonce, 'base64'),
      sealedKey: Buffer.from(answer.sealedKey, 'base64'),
    },
    { clusterId: self.clusterId, requesterId: self.nodeId, peerId: checked.nodeId, tlsExporter: reply.exporter },
  );
  return { rootKey, peerId: checked.nodeId };
}

export interface PeerReply {
  readonly status: number;
  readonly text: string;
  readonly peerCertificate: Buffer;
  readonly exporter: Buffer;
}

/** One POST over a fresh mutual-TLS connection, with what the exchange binds to (exported for tests). */
export function post(url: URL, body: string, self: NodeIdentityFiles, timeoutMs: number): Promise<PeerReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        key: self.key,
        cert: self.cert,
        ca: self.caPem,
        minVersion: 'TLSv1.3',
        agent: false,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const socket = response.socket as TLSSocket;
        // Both taken now, while the connection is open: the answer is bound to this session.
        const peerCertificate = socket.getPeerCertificate().raw;
        let exporter: Buffer;
        try {
          exporter = tlsExporter(socket);
        } catch (error) {
          response.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) response.destroy(new Error('the peer answer is too large'));
          else chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            peerCertificate,
            exporter,
          }),
        );
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new CofferError('PEER_UNSEAL_REFUSED', 'the peer did not answer in time')));
    req.on('error', (error) =>
      reject(
        isCofferError(error)
          ? error
          : new CofferError('PEER_UNSEAL_REFUSED', `the peer is unreachable: ${error.message}`),
      ),
    );
    req.end(body);
  });
}

function parseAnswer(text: string): PeerUnsealAnswer {
  let parsed: Partial<Record<keyof PeerUnsealAnswer, unknown>>;
  try {
    parsed = JSON.parse(text) as Partial<Record<keyof PeerUnsealAnswer, unknown>>;
  } catch {
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the peer answer is not JSON');
  }
  const fields = ['nodeId', 'ephemeralPublicKey', 'salt', 'nonce', 'sealedKey'] as const;
  if (!fields.every((field) => typeof parsed[field] === 'string'))
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the peer answer is malformed');
  return parsed as PeerUnsealAnswer;
}

function errorCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : 'an error';
  } catch {
    return 'an error';
  }
}
