/**
 * The unsealed peer's side of peer unseal (POST /v1/cluster/peer-unseal). The caller is known
 * by its TLS client certificate alone — no session, no password — and gets the root key only
 * when every rule below holds; each hand-over is audited, and each refusal under its source's
 * budget (src/audit/refusal-budget.ts).
 */
import type { TLSSocket } from 'node:tls';
import { originOf, type RefusalBudget, type RefusalOrigin } from '../../audit/refusal-budget.js';
import { CofferError, isCofferError } from '../../errors/coffer-error.js';
import { checkNodeCertificate } from '../../pki/index.js';
import type { RecordReader } from '../../records/record-reader.js';
import type { RecordWriter } from '../../records/record-writer.js';
import { readAdmitted } from '../membership/admitted-nodes.js';
import type { RevocationList } from '../membership/revocations.js';
import { answerExchange, tlsExporter, x25519PublicKey } from './exchange.js';
import { ReplayGuard } from './replay-guard.js';

export interface PeerUnsealRequest {
  readonly nodeId: string;
  /** Base64 of the requester's raw X25519 ephemeral public key. */
  readonly ephemeralPublicKey: string;
}

export interface PeerUnsealAnswer {
  readonly nodeId: string;
  readonly ephemeralPublicKey: string;
  readonly salt: string;
  readonly nonce: string;
  readonly sealedKey: string;
}

export interface PeerUnsealServiceDeps {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly caPem: string;
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** Refusals: a caller with no certificate of this cluster may send as many as it likes. */
  readonly refusals: Pick<RefusalBudget, 'audit'>;
  readonly revocations: Pick<RevocationList, 'isRevoked' | 'ready'>;
  /** The barrier's root key (NODE_SEALED while sealed: a sealed node hands nothing over). */
  readonly rootKey: () => Buffer;
}

/**
 * The rules, in order; the first that fails refuses (PEER_UNSEAL_REFUSED, the reason audited):
 * a client certificate the TLS layer verified against the cluster CA; a node certificate of
 * this cluster (node-identity.ts) naming the node the body names; not revoked; the very
 * certificate the register of admitted nodes holds for that node; not this node itself; an
 * ephemeral key this node has not answered before; key material exported from the TLS session.
 */
export class PeerUnsealService {
  private readonly replays = new ReplayGuard();

  constructor(private readonly deps: PeerUnsealServiceDeps) {}

  async handle(socket: TLSSocket, request: PeerUnsealRequest): Promise<PeerUnsealAnswer> {
    let requester: { nodeId: string; serialNumber: string } | undefined;
    try {
      requester = await this.check(socket, request);
      const requesterKey = Buffer.from(request.ephemeralPublicKey, 'base64');
      x25519PublicKey(requesterKey);
      if (!this.replays.first(requesterKey)) throw refused('the ephemeral key was answered before (a replay)');
      const exported = tlsExporter(socket);
      // Audited before the answer leaves: if the event cannot be written, nothing is handed over.
      await this.deps.writer.commit({
        event: {
          actor: `node/${requester.nodeId}`,
          action: 'cluster.peer-unseal',
          target: `node/${requester.nodeId}`,
          result: 'success',
          details: { from: this.deps.nodeId, to: requester.nodeId, serialNumber: requester.serialNumber },
        },
      });
      const rootKey = this.deps.rootKey();
      try {
        const answer = answerExchange(rootKey, requesterKey, {
          clusterId: this.deps.clusterId,
          requesterId: requester.nodeId,
          peerId: this.deps.nodeId,
          tlsExporter: exported,
        });
        return {
          nodeId: this.deps.nodeId,
          ephemeralPublicKey: answer.ephemeralPublicKey.toString('base64'),
          salt: answer.salt.toString('base64'),
          nonce: answer.nonce.toString('base64'),
          sealedKey: answer.sealedKey.toString('base64'),
        };
      } finally {
        rootKey.fill(0);
      }
    } catch (error) {
      if (isCofferError(error, 'PEER_UNSEAL_REFUSED'))
        // A caller with no client certificate the node's TLS verified proved nothing: its
        // refusal is under the source's budget. One that presented such a certificate (a
        // client's, a removed node's, a node's replay) is evidence, audited in full.
        await this.auditRefusal(
          socket.authorized ? undefined : originOf('peer-unseal', socket),
          request,
          requester,
          error,
        );
      throw error;
    }
  }

  private async check(
    socket: TLSSocket,
    request: PeerUnsealRequest,
  ): Promise<{ nodeId: string; serialNumber: string }> {
    const raw = socket.authorized ? socket.getPeerCertificate()?.raw : undefined;
    if (!raw) throw refused('no client certificate from the cluster CA');
    const checked = checkNodeCertificate(raw, this.deps.caPem, this.deps.clusterId);
    if (typeof checked === 'string') throw refused(`the certificate is ${checked}`);
    if (checked.nodeId !== request.nodeId) throw refused('the request names another node than its certificate');
    if (checked.nodeId === this.deps.nodeId) throw refused('a node does not unseal itself');
    await this.deps.revocations.ready();
    if (this.deps.revocations.isRevoked(checked.serialNumber)) throw refused('the certificate was revoked');
    const admitted = await readAdmitted(this.deps.reader, checked.nodeId);
    if (!admitted) throw refused('the node is not admitted to the cluster');
    if (admitted.node.serialNumber !== checked.serialNumber)
      throw refused('the certificate is not the one the node was admitted with');
    return checked;
  }

  private async auditRefusal(
    origin: RefusalOrigin | undefined,
    request: PeerUnsealRequest,
    requester: { nodeId: string } | undefined,
    error: CofferError,
  ): Promise<void> {
    const claimed = typeof request.nodeId === 'string' ? request.nodeId.slice(0, 64) : 'unknown';
    await this.deps.refusals
      .audit(origin, {
        actor: `node/${requester?.nodeId ?? claimed}`,
        action: 'cluster.peer-unseal',
        target: `node/${claimed}`,
        result: 'failure',
        code: 'PEER_UNSEAL_REFUSED',
        details: { from: this.deps.nodeId, reason: error.detail ?? '' },
      })
      .catch(() => undefined);
  }
}

function refused(reason: string): CofferError {
  return new CofferError('PEER_UNSEAL_REFUSED', reason);
}
