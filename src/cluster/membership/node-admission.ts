/**
 * Adding and removing nodes (admin, under the `cluster` quorum when its value asks for one):
 *
 * - add: the new node's CSR (made by `coffer node prepare`, CN = its node id) is signed by the
 *   cluster CA as a node certificate carrying the node marker, the node is entered in the
 *   register of admitted nodes, and the answer is what its data dir needs — cluster.json, the
 *   node certificate and the CA certificate. Nothing secret: the node's key never left its
 *   machine, and it starts sealed.
 * - remove: the node's certificate is revoked (a CA-signed entry every node watches), its
 *   register entry deleted, both with the audit event in one transaction; then its live record
 *   and lease are deleted, so clients stop discovering it at once.
 */
import type { SealConfig } from '../../barrier/unseal-shares.js';
import { CofferError, isCofferError } from '../../errors/coffer-error.js';
import type { QuorumService } from '../../identity/quorum-service.js';
import type { Session } from '../../identity/sessions.js';
import { describeCertificate, issueCertificate, NODE_ID } from '../../pki/index.js';
import { parseCsrPem } from '../../pki/pem.js';
import type { RecordReader } from '../../records/record-reader.js';
import type { RecordWriter } from '../../records/record-writer.js';
import type { StateStore } from '../../store/state-store.js';
import type { StoreConfig } from '../../store/store-config.js';
import { readClusterCa } from '../ca-record.js';
import type { ClusterFile } from '../cluster-file.js';
import type { NodeInfo } from '../cluster-service.js';
import { admittedChange, admittedPath, listAdmitted, readAdmitted } from './admitted-nodes.js';
import { checkZone, decodeMember, memberPath, type MemberRecord } from './member-record.js';
import { revocationPath, signRevocation, type RevocationList } from './revocations.js';
import type { StoreMembership } from './store-membership.js';

export interface AddNodeRequest {
  readonly csr: string;
  readonly zone?: string;
  /** Names for the node certificate beyond localhost, 127.0.0.1 and ::1 (the CA decides them, not the CSR). */
  readonly dnsNames?: string[];
  readonly ipAddresses?: string[];
}

/** What the new node's data dir needs (`coffer node join` writes it). */
export interface JoinBundle {
  readonly nodeId: string;
  readonly certificate: string;
  readonly caCertificate: string;
  readonly cluster: ClusterFile;
}

/** One node as `cluster list-nodes` shows it: admitted, live, or both. */
export interface NodeView {
  readonly nodeId: string;
  readonly zone?: string;
  readonly url?: string;
  /** 'down': admitted, with no live record (stopped, crashed or cut off). */
  readonly health: MemberRecord['health'] | 'down';
  readonly sealed?: boolean;
  readonly version?: string;
  readonly load?: MemberRecord['load'];
  readonly admitted: boolean;
  readonly serialNumber?: string;
  readonly updatedAt?: string;
}

export interface NodeAdmissionDeps {
  readonly info: NodeInfo;
  readonly seal: SealConfig;
  readonly storeConfig: StoreConfig;
  readonly reader: Pick<RecordReader, 'get' | 'page'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly store: Pick<StateStore, 'get' | 'txn' | 'revokeLease'>;
  readonly quorum?: Pick<QuorumService, 'approve'>;
  readonly revocations: Pick<RevocationList, 'noteRevoked'>;
  readonly membership: Pick<StoreMembership, 'members'>;
  readonly clock?: () => Date;
}

const LOOPBACK_NAMES = ['localhost'];
const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'];

export class NodeAdmission {
  constructor(private readonly deps: NodeAdmissionDeps) {}

  async add(actor: Session, request: AddNodeRequest): Promise<JoinBundle> {
    const { info } = this.deps;
    if (info.ca === 'external') throw new CofferError('CA_NOT_MANAGED', 'sign node certificates with the external CA');
    if (this.deps.storeConfig.kind !== 'etcd') throw new CofferError('CLUSTER_STORE_REQUIRED');
    const zone = checkZone(request.zone, 'zone');
    const nodeId = csrNodeId(request.csr);
    const existing = await readAdmitted(this.deps.reader, nodeId);
    if (existing || (await this.deps.store.get(memberPath(nodeId))))
      throw new CofferError('NODE_ALREADY_MEMBER', `node ${nodeId}`);
    const plan = await this.deps.quorum?.approve(actor, 'cluster');
    const ca = await readClusterCa(this.deps.reader);
    const certificate = await issueCertificate(ca, request.csr, {
      profile: 'node',
      node: { clusterId: info.clusterId, nodeId },
      dnsNames: [...LOOPBACK_NAMES, ...(request.dnsNames ?? [])],
      ipAddresses: [...LOOPBACK_ADDRESSES, ...(request.ipAddresses ?? [])],
    });
    const described = describeCertificate(certificate);
    const now = this.now();
    try {
      await this.deps.writer.commit({
        compares: [{ key: admittedPath(nodeId), modRevision: 0 }, ...(plan?.compares ?? [])],
        changes: [
          admittedChange({
            nodeId,
            serialNumber: described.serialNumber,
            ...(zone !== undefined && { zone }),
            addedAt: now.toISOString(),
            addedBy: actor.username,
          }),
          ...(plan?.changes ?? []),
        ],
        event: {
          actor: actor.username,
          action: 'cluster.add-node',
          target: `node/${nodeId}`,
          result: 'success',
          details: {
            serialNumber: described.serialNumber,
            notAfter: described.notAfter.toISOString(),
            ...(zone !== undefined && { zone }),
            ...plan?.details,
          },
        },
      });
    } catch (error) {
      if (isCofferError(error, 'CONFLICT')) throw new CofferError('NODE_ALREADY_MEMBER', `node ${nodeId}`);
      throw error;
    }
    return {
      nodeId,
      certificate,
      caCertificate: ca.certificatePem,
      cluster: {
        formatVersion: 1,
        clusterId: info.clusterId,
        nodeId,
        mode: info.mode,
        seal: this.deps.seal,
        ca: 'cluster',
        certificateInstalled: true,
        createdAt: now.toISOString(),
        store: this.deps.storeConfig,
        ...(zone !== undefined && { zone }),
      },
    };
  }

  async remove(actor: Session, nodeId: string): Promise<{ nodeId: string; serialNumber: string }> {
    const { info } = this.deps;
    if (info.ca === 'external')
      throw new CofferError('CA_NOT_MANAGED', 'revoke node certificates with the external CA');
    if (nodeId === info.nodeId)
      throw new CofferError('INVALID_FIELD', 'a node does not remove itself: run remove-node on another node');
    const admitted = await readAdmitted(this.deps.reader, nodeId);
    if (!admitted) throw new CofferError('NODE_NOT_FOUND', `node ${nodeId}`);
    const plan = await this.deps.quorum?.approve(actor, 'cluster');
    const ca = await readClusterCa(this.deps.reader);
    const { serialNumber } = admitted.node;
    const revokedAt = this.now().toISOString();
    const signed = signRevocation({ clusterId: info.clusterId, serialNumber, nodeId, revokedAt }, ca.privateKey);
    await this.deps.writer.commit({
      compares: [
        { key: admittedPath(nodeId), modRevision: admitted.modRevision },
        { key: revocationPath(serialNumber), modRevision: 0 },
        ...(plan?.compares ?? []),
      ],
      changes: [
        { type: 'delete', path: admittedPath(nodeId) },
        { type: 'signed', path: revocationPath(serialNumber), value: signed },
        ...(plan?.changes ?? []),
      ],
      event: {
        actor: actor.username,
        action: 'cluster.remove-node',
        target: `node/${nodeId}`,
        result: 'success',
        details: { serialNumber, ...plan?.details },
      },
    });
    this.deps.revocations.noteRevoked(serialNumber);
    await this.dropLiveRecord(nodeId);
    return { nodeId, serialNumber };
  }

  /** Admitted nodes and live records, joined by node id, in id order. */
  async list(): Promise<NodeView[]> {
    const [admitted, live] = await Promise.all([listAdmitted(this.deps.reader), this.deps.membership.members()]);
    const views = new Map<string, NodeView>();
    for (const node of admitted) {
      views.set(node.nodeId, {
        nodeId: node.nodeId,
        ...(node.zone !== undefined && { zone: node.zone }),
        health: 'down',
        admitted: true,
        serialNumber: node.serialNumber,
      });
    }
    for (const record of live) {
      const known = views.get(record.nodeId);
      views.set(record.nodeId, {
        nodeId: record.nodeId,
        ...((record.zone ?? known?.zone) !== undefined && { zone: record.zone ?? known?.zone }),
        url: record.url,
        health: record.health,
        sealed: record.sealed,
        version: record.version,
        load: record.load,
        admitted: known !== undefined,
        ...(known?.serialNumber !== undefined && { serialNumber: known.serialNumber }),
        updatedAt: record.updatedAt,
      });
    }
    return [...views.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  /** The removed node's live record and lease: gone now rather than at the lease's expiry. */
  private async dropLiveRecord(nodeId: string): Promise<void> {
    const entry = await this.deps.store.get(memberPath(nodeId));
    if (!entry) return;
    const record = decodeMember(entry.value);
    await this.deps.store.txn(
      [{ key: entry.key, modRevision: entry.modRevision }],
      [{ type: 'delete', key: entry.key }],
    );
    if (record) await this.deps.store.revokeLease(record.lease).catch(() => undefined);
  }

  private now(): Date {
    return (this.deps.clock ?? (() => new Date()))();
  }
}

/** The node id the CSR asks for: its subject CN, which `coffer node prepare` sets. */
function csrNodeId(csrPem: string): string {
  const cn = parseCsrPem(csrPem, 'csr').subjectName.getField('CN')[0];
  if (cn === undefined || !NODE_ID.test(cn))
    throw new CofferError('INVALID_FIELD', 'the CSR subject CN must be the node id (coffer node prepare makes it)');
  return cn;
}
