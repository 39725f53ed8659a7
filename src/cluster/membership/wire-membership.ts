/**
 * The membership and peer-unseal parts of a node, built once over its store: the revocation
 * list, the live records (this node's registrar, everyone's list), node admission for admins,
 * and both sides of peer unseal. services-wiring.ts calls this; node.ts starts and stops it.
 */
import type { Logger } from 'pino';
import type { RefusalBudget } from '../../audit/refusal-budget.js';
import type { Barrier } from '../../barrier/barrier.js';
import type { SealConfig } from '../../barrier/unseal-shares.js';
import type { QuorumService } from '../../identity/quorum-service.js';
import { describeCertificate } from '../../pki/index.js';
import type { RecordReader } from '../../records/record-reader.js';
import type { RecordWriter } from '../../records/record-writer.js';
import type { StateStore } from '../../store/state-store.js';
import type { StoreConfig } from '../../store/store-config.js';
import type { ClusterService, NodeInfo } from '../cluster-service.js';
import type { ClusterNode } from '../membership.js';
import { askPeer } from '../peer-unseal/peer-unseal-client.js';
import { PeerUnsealService } from '../peer-unseal/peer-unseal-service.js';
import { PeerUnsealer } from '../peer-unseal/peer-unsealer.js';
import { LoadMeter } from './load-meter.js';
import { MemberRegistrar } from './member-registrar.js';
import { NodeAdmission } from './node-admission.js';
import { RevocationList } from './revocations.js';
import { RevokedClients } from './revoked-clients.js';
import { StoreMembership } from './store-membership.js';

/** What a node knows of its place in the cluster, from its data dir and its flags. */
export interface MembershipOptions {
  readonly caPem: string;
  readonly nodeCert: Buffer;
  readonly nodeKey: Buffer;
  readonly storeConfig: StoreConfig;
  readonly zone: string | undefined;
  /** The membership lease's TTL (10 s by default). */
  readonly memberTtlSeconds?: number;
  /** The first wait between peer-unseal rounds (1 s by default, doubling to 30 s). */
  readonly peerUnsealBackoffMs?: number;
  /** Ask peers for the root key when the node is sealed at start (true by default). */
  readonly peerUnseal?: boolean;
  /** Static extra endpoints clients may discover (`--peer`). */
  readonly peers?: readonly ClusterNode[];
}

export interface MembershipDeps {
  readonly store: StateStore;
  readonly info: NodeInfo;
  readonly seal: SealConfig;
  readonly barrier: Barrier;
  readonly reader: RecordReader;
  readonly writer: Pick<RecordWriter, 'commit'>;
  readonly refusals: Pick<RefusalBudget, 'audit'>;
  readonly quorum: Pick<QuorumService, 'approve'>;
  readonly logger: Logger;
}

export function wireMembership(deps: MembershipDeps, options: MembershipOptions) {
  const { store, info, logger } = deps;
  const revocations = new RevocationList(store, options.caPem, info.clusterId, (key) =>
    logger.error({ key }, 'a revocation entry does not verify with the cluster CA: ignored'),
  );
  const membership = new StoreMembership(store, options.zone, options.peers);
  const load = new LoadMeter();
  const ownSerial = describeCertificate(options.nodeCert.toString('utf8')).serialNumber;
  const nodes = new NodeAdmission({
    info,
    seal: deps.seal,
    storeConfig: options.storeConfig,
    reader: deps.reader,
    writer: deps.writer,
    store,
    quorum: deps.quorum,
    revocations,
    membership,
  });
  const peerUnseal = new PeerUnsealService({
    clusterId: info.clusterId,
    nodeId: info.nodeId,
    caPem: options.caPem,
    reader: deps.reader,
    writer: deps.writer,
    refusals: deps.refusals,
    revocations,
    rootKey: () => deps.barrier.exportRootKey(),
  });
  return {
    revocations,
    membership,
    load,
    nodes,
    peerUnseal,
    revokedClients: new RevokedClients(revocations),
    /** The node's own record and, when sealed, its peer search: started once the node listens. */
    lifecycle(cluster: ClusterService) {
      const registrar = new MemberRegistrar({
        store,
        nodeId: info.nodeId,
        zone: options.zone,
        version: info.version,
        sealed: () => cluster.sealed,
        load: () => load.current(),
        removed: () => revocations.isRevoked(ownSerial),
        onRemoved: () => cluster.sealLocally('this node was removed from the cluster'),
        logger,
        ...(options.memberTtlSeconds !== undefined && { ttlSeconds: options.memberTtlSeconds }),
      });
      const identity = {
        clusterId: info.clusterId,
        nodeId: info.nodeId,
        key: options.nodeKey,
        cert: options.nodeCert,
        caPem: options.caPem,
      };
      const unsealer = new PeerUnsealer({
        nodeId: info.nodeId,
        zone: options.zone,
        sealed: () => cluster.sealed,
        members: () => membership.members(),
        ask: async (url) => {
          await revocations.ready();
          return askPeer(url, identity, revocations);
        },
        unseal: async (rootKey, peerId) => {
          await cluster.unsealWithRootKey(rootKey, peerId);
          registrar.refresh();
        },
        logger,
        ...(options.peerUnsealBackoffMs !== undefined && { initialBackoffMs: options.peerUnsealBackoffMs }),
      });
      return {
        registrar,
        unsealer,
        async start(url: string): Promise<void> {
          await revocations.ready();
          await registrar.start(url);
          if (options.peerUnseal !== false) unsealer.start();
        },
        async stop(): Promise<void> {
          await unsealer.stop();
          await registrar.stop();
          revocations.close();
        },
      };
    },
  };
}
