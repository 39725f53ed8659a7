import type { Logger } from 'pino';
import type { Barrier } from '../barrier/barrier.js';
import type { ClusterMode } from '../barrier/keyring.js';
import type { UnsealProgress, UnsealStatus } from '../barrier/unseal-progress.js';
import { CofferError, isCofferError } from '../errors/coffer-error.js';
import type { QuorumService } from '../identity/quorum-service.js';
import type { Session, SessionManager } from '../identity/sessions.js';
import { FIRST_ADMIN, decodeUser, userPath } from '../identity/user-record.js';
import type { KeyRepository } from '../keys/key-repository.js';
import { describeCertificate, issueCertificate } from '../pki/index.js';
import type { RecordReader } from '../records/record-reader.js';
import type { RecordWriter } from '../records/record-writer.js';
import { readClusterCa } from './ca-record.js';

export interface NodeInfo {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly mode: ClusterMode;
  readonly ca: 'cluster' | 'external';
  readonly version: string;
}

export interface ClusterStatus extends NodeInfo {
  readonly sealed: boolean;
  /** Whether `cluster activate` has run; null while sealed (the answer is sealed too). */
  readonly activated: boolean | null;
  readonly unseal: Omit<UnsealStatus, 'sealed'>;
}

export interface ClusterServiceDeps {
  readonly info: NodeInfo;
  readonly barrier: Barrier;
  readonly progress: UnsealProgress;
  readonly sessions: Pick<SessionManager, 'closeAll'>;
  readonly reader: Pick<RecordReader, 'get'>;
  readonly writer: Pick<RecordWriter, 'commit'>;
  /** The audit chain checked against the store at unseal (and forgotten at seal). */
  readonly chain: { verify(): Promise<void>; clear(): void };
  readonly keys: Pick<KeyRepository, 'evictAll'>;
  readonly logger: Logger;
  /** The `cluster` quorum service's approval, when its value is above 1. */
  readonly quorum?: Pick<QuorumService, 'approve'>;
}

/** The node's own lifecycle as the API sees it: status, unseal, seal, and client certificates. */
export class ClusterService {
  /**
   * Whether the node serves: its keyring open, the audit chain verified and the unseal audited.
   * Between the keyring opening and the chain checked, the node answers as sealed — to requests,
   * to health checks and in its membership record — so no client is sent to it before it serves.
   */
  private serving = false;
  /** Counts the seals: an unseal serves only if no seal came while it was under way. */
  private seals = 0;

  constructor(private readonly deps: ClusterServiceDeps) {}

  get info(): NodeInfo {
    return this.deps.info;
  }

  get sealed(): boolean {
    return !this.serving || this.deps.barrier.sealed;
  }

  async status(): Promise<ClusterStatus> {
    const { sealed: _sealed, ...unseal } = this.deps.progress.status();
    return { ...this.deps.info, sealed: this.sealed, activated: this.sealed ? null : await this.activated(), unseal };
  }

  /** Adds one share; at the threshold, unseals and checks the keyring belongs to this cluster. */
  async unseal(share: Buffer): Promise<UnsealStatus> {
    const seals = this.seals;
    let status: UnsealStatus;
    try {
      status = await this.deps.progress.submit(share);
    } catch (error) {
      // A sealed node has no audit log to write to: the refusal goes to the node log.
      this.deps.logger.warn({ code: (error as CofferError).code }, 'unseal attempt refused');
      throw error;
    } finally {
      share.fill(0);
    }
    if (status.sealed) return status;
    await this.opened({ actor: 'anonymous', details: undefined }, seals);
    return status;
  }

  /**
   * Unseals from a root key a peer handed over (src/cluster/peer-unseal/): the same checks as
   * from shares — the keyring opens with it, names this cluster, and the audit chain matches.
   */
  async unsealWithRootKey(rootKey: Buffer, from: string): Promise<void> {
    const seals = this.seals;
    try {
      if (!this.deps.barrier.sealed) throw new CofferError('ALREADY_UNSEALED');
      await this.deps.barrier.unseal(rootKey);
    } finally {
      rootKey.fill(0);
    }
    this.deps.progress.reset();
    await this.opened({ actor: 'system', details: { via: 'peer', from } }, seals);
  }

  /**
   * The checks after the keyring opened, and the audit event; any failure seals again. `seals`:
   * the count when this unseal began — a seal since (a revocation, an admin, another unseal
   * that failed) wins, and this one does not serve.
   */
  private async opened(
    event: { actor: string; details: Record<string, string> | undefined },
    seals: number,
  ): Promise<void> {
    const { clusterId, mode } = this.deps.barrier.identity;
    if (clusterId !== this.deps.info.clusterId || mode !== this.deps.info.mode) {
      this.sealAgain();
      throw new CofferError('INTEGRITY_ERROR', 'cluster.json does not match the sealed keyring');
    }
    try {
      // Before anything is read or written: a rolled-back or truncated chain stops the node here.
      await this.deps.chain.verify();
    } catch (error) {
      this.sealAgain();
      const { code, detail } = isCofferError(error) ? error : { code: 'INTERNAL_ERROR', detail: undefined };
      this.deps.logger.error({ code, detail }, 'the audit chain does not match the store: the node stays sealed');
      throw error;
    }
    try {
      // No unseal without its audit event: a node that cannot write it does not serve.
      await this.deps.writer.commit({
        event: {
          actor: event.actor,
          action: 'cluster.unseal',
          target: 'cluster',
          result: 'success',
          ...(event.details && { details: event.details }),
        },
      });
    } catch (error) {
      this.sealAgain();
      const code = isCofferError(error) ? error.code : 'INTERNAL_ERROR';
      this.deps.logger.error({ code }, 'the unseal could not be audited: the node stays sealed');
      throw error;
    }
    if (this.seals !== seals || this.deps.barrier.sealed) {
      this.sealAgain();
      throw new CofferError('NODE_SEALED', 'the node was sealed while it unsealed');
    }
    this.serving = true;
    this.deps.logger.info({ clusterId, ...event.details }, 'node unsealed');
  }

  /** Seals the keyring and forgets the chain, with nothing audited: an unseal that failed. */
  private sealAgain(): void {
    this.seals++;
    this.serving = false;
    this.deps.keys.evictAll();
    this.deps.barrier.seal();
    this.deps.chain.clear();
  }

  /**
   * Seals this node only, with no audit event and no session ended elsewhere: the node learnt
   * it was removed from the cluster (its certificate revoked), and the removal was audited.
   */
  sealLocally(reason: string): void {
    if (this.deps.barrier.sealed) return;
    this.seals++;
    this.serving = false;
    this.deps.keys.evictAll();
    this.deps.progress.reset();
    this.deps.barrier.seal();
    this.deps.chain.clear();
    this.deps.logger.error({ reason }, 'node sealed');
  }

  /** Seals the node: every session ends, opened keys are dropped, and the keyring is forgotten. */
  async seal(actor: Session): Promise<void> {
    const plan = await this.deps.quorum?.approve(actor, 'cluster');
    await this.deps.writer.commit({
      compares: plan?.compares ?? [],
      changes: plan?.changes ?? [],
      event: {
        actor: actor.username,
        action: 'cluster.seal',
        target: 'cluster',
        result: 'success',
        ...(plan && { details: plan.details }),
      },
    });
    // Every login session of the cluster ends (and this node's session-bound state goes even
    // if the store cannot be written now): sealing is the emergency stop.
    await this.deps.sessions.closeAll(actor.username).catch((error: unknown) => {
      const code = isCofferError(error) ? error.code : 'INTERNAL_ERROR';
      this.deps.logger.error({ code }, 'the sessions could not all be ended at seal');
    });
    this.seals++;
    this.serving = false;
    this.deps.keys.evictAll();
    this.deps.progress.reset();
    this.deps.barrier.seal();
    this.deps.chain.clear();
    this.deps.logger.warn({ by: actor.username }, 'node sealed');
  }

  async issueClientCertificate(
    actor: Session,
    csrPem: string,
    commonName?: string,
  ): Promise<{ certificate: string; caCertificate: string }> {
    if (this.deps.info.ca === 'external') throw new CofferError('CA_NOT_MANAGED');
    const plan = await this.deps.quorum?.approve(actor, 'cluster');
    const ca = await readClusterCa(this.deps.reader);
    const certificate = await issueCertificate(ca, csrPem, { profile: 'client', ...(commonName && { commonName }) });
    const described = describeCertificate(certificate);
    await this.deps.writer.commit({
      compares: plan?.compares ?? [],
      changes: plan?.changes ?? [],
      event: {
        actor: actor.username,
        action: 'cluster.issue-client-certificate',
        target: `certificate/${described.serialNumber}`,
        result: 'success',
        details: { subject: described.subject, notAfter: described.notAfter.toISOString(), ...plan?.details },
      },
    });
    return { certificate, caCertificate: ca.certificatePem };
  }

  private async activated(): Promise<boolean> {
    const record = await this.deps.reader.get(userPath(FIRST_ADMIN), 'user');
    // Another admin may have deleted the first one later; activation is then long done.
    return !record || decodeUser(record.plaintext).role !== 'unactivated-admin';
  }
}
