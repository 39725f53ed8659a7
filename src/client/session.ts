import { accessKeyCalls } from './access-keys.js';
import { auditCalls } from './audit.js';
import { batchCalls } from './crypto-batch.js';
import { clusterNodeCalls } from './cluster-nodes.js';
import { cryptoCalls } from './crypto.js';
import { keyAdminCalls } from './key-admin.js';
import { keyTransferCalls } from './key-transfer.js';
import { keyCalls } from './keys.js';
import { multipartCalls } from './multipart.js';
import { APPROVAL_HEADER, approvalHeader, type QuorumTokenFile } from './quorum-file.js';
import { quorumCalls } from './quorum.js';
import type { RequestOptions, Requester } from './transport.js';
import type { AuditPage, IssuedCertificate, LoginResult, Role, SessionInfo } from './types.js';
import { userCalls } from './users.js';
import { xksCalls } from './xks.js';

type UserCalls = ReturnType<typeof userCalls>;
type KeyCalls = ReturnType<typeof keyCalls>;
type CryptoCalls = ReturnType<typeof cryptoCalls>;
type KeyAdminCalls = ReturnType<typeof keyAdminCalls>;
type KeyTransferCalls = ReturnType<typeof keyTransferCalls>;
type BatchCalls = ReturnType<typeof batchCalls>;
type MultipartCalls = ReturnType<typeof multipartCalls>;
type QuorumCalls = ReturnType<typeof quorumCalls>;
type AccessKeyCalls = ReturnType<typeof accessKeyCalls>;

/**
 * A logged-in session: holds the token (never exposed in a string form meant for printing) and
 * offers every authenticated route. Key, user and crypto calls come from their own files.
 */
export class CofferSession {
  readonly username: string;
  readonly role: Role;
  readonly expiresAt: string;
  readonly #token: string;
  readonly #request: Requester;

  readonly listUsers: UserCalls['listUsers'];
  readonly createUser: UserCalls['createUser'];
  readonly deleteUser: UserCalls['deleteUser'];
  readonly unlockUser: UserCalls['unlockUser'];
  readonly changeOwnPassword: UserCalls['changeOwnPassword'];
  readonly registrationToken: UserCalls['registrationToken'];
  readonly registerKey: UserCalls['registerKey'];
  readonly deregisterKey: UserCalls['deregisterKey'];
  readonly createAccessKey: AccessKeyCalls['createAccessKey'];
  readonly listAccessKeys: AccessKeyCalls['listAccessKeys'];
  readonly disableAccessKey: AccessKeyCalls['disableAccessKey'];
  readonly deleteAccessKey: AccessKeyCalls['deleteAccessKey'];
  readonly generateSymmetricKey: KeyCalls['generateSymmetricKey'];
  readonly generateKeyPair: KeyCalls['generateKeyPair'];
  readonly listKeys: KeyCalls['listKeys'];
  readonly getKey: KeyCalls['getKey'];
  readonly exportPublicKey: KeyCalls['exportPublicKey'];
  readonly deleteKey: KeyCalls['deleteKey'];
  readonly rotateKey: KeyCalls['rotateKey'];
  readonly encrypt: CryptoCalls['encrypt'];
  readonly decrypt: CryptoCalls['decrypt'];
  readonly sign: CryptoCalls['sign'];
  readonly verify: CryptoCalls['verify'];
  readonly setKeyAttributes: KeyAdminCalls['setKeyAttributes'];
  readonly shareKey: KeyAdminCalls['shareKey'];
  readonly unshareKey: KeyAdminCalls['unshareKey'];
  readonly createAlias: KeyAdminCalls['createAlias'];
  readonly listAliases: KeyAdminCalls['listAliases'];
  readonly deleteAlias: KeyAdminCalls['deleteAlias'];
  readonly importKey: KeyTransferCalls['importKey'];
  readonly wrapKey: KeyTransferCalls['wrapKey'];
  readonly unwrapKey: KeyTransferCalls['unwrapKey'];
  readonly deriveKey: KeyTransferCalls['deriveKey'];
  readonly batch: BatchCalls['batch'];
  readonly prepareBatch: BatchCalls['prepareBatch'];
  readonly digest: BatchCalls['digest'];
  readonly random: BatchCalls['random'];
  readonly beginOperation: MultipartCalls['beginOperation'];
  readonly withOperation: MultipartCalls['withOperation'];
  /** Audit search, export, checkpoints, the audit public key, and key usage counts. */
  readonly audit: ReturnType<typeof auditCalls>;
  /** Quorum tokens and values. */
  readonly quorum: QuorumCalls;
  /** XKS key stores (admin). */
  readonly xks: ReturnType<typeof xksCalls>;
  /** The cluster's nodes: list (any user), add and remove (admin). */
  readonly nodes: ReturnType<typeof clusterNodeCalls>;

  constructor(request: Requester, login: LoginResult) {
    this.#request = request;
    this.#token = login.token;
    this.username = login.username;
    this.role = login.role;
    this.expiresAt = login.expiresAt;
    const users = userCalls(request, login.token);
    const keys = keyCalls(request, login.token);
    const crypto = cryptoCalls(request, login.token);
    ({
      listUsers: this.listUsers,
      createUser: this.createUser,
      deleteUser: this.deleteUser,
      unlockUser: this.unlockUser,
      changeOwnPassword: this.changeOwnPassword,
      registrationToken: this.registrationToken,
      registerKey: this.registerKey,
      deregisterKey: this.deregisterKey,
    } = users);
    ({
      createAccessKey: this.createAccessKey,
      listAccessKeys: this.listAccessKeys,
      disableAccessKey: this.disableAccessKey,
      deleteAccessKey: this.deleteAccessKey,
    } = accessKeyCalls(request, login.token));
    ({
      generateSymmetricKey: this.generateSymmetricKey,
      generateKeyPair: this.generateKeyPair,
      listKeys: this.listKeys,
      getKey: this.getKey,
      exportPublicKey: this.exportPublicKey,
      deleteKey: this.deleteKey,
      rotateKey: this.rotateKey,
    } = keys);
    ({ encrypt: this.encrypt, decrypt: this.decrypt, sign: this.sign, verify: this.verify } = crypto);
    ({
      setKeyAttributes: this.setKeyAttributes,
      shareKey: this.shareKey,
      unshareKey: this.unshareKey,
      createAlias: this.createAlias,
      listAliases: this.listAliases,
      deleteAlias: this.deleteAlias,
    } = keyAdminCalls(request, login.token));
    ({
      importKey: this.importKey,
      wrapKey: this.wrapKey,
      unwrapKey: this.unwrapKey,
      deriveKey: this.deriveKey,
    } = keyTransferCalls(request, login.token));
    ({
      batch: this.batch,
      prepareBatch: this.prepareBatch,
      digest: this.digest,
      random: this.random,
    } = batchCalls(request, login.token));
    ({ beginOperation: this.beginOperation, withOperation: this.withOperation } = multipartCalls(request, login.token));
    this.audit = auditCalls(request, login.token);
    this.quorum = quorumCalls(request, login.token);
    this.xks = xksCalls(request, login.token);
    this.nodes = clusterNodeCalls(request, login.token);
  }

  /**
   * The same session, with every request carrying the approvals of a quorum token file
   * (`--approval token.json`); the first operation that needs them consumes the token.
   */
  withApproval(file: QuorumTokenFile): CofferSession {
    const header = approvalHeader(file);
    const request: Requester = (method, path, options = {}) =>
      this.#request(method, path, { ...options, headers: { ...options.headers, [APPROVAL_HEADER]: header } });
    return new CofferSession(request, {
      token: this.#token,
      username: this.username,
      role: this.role,
      expiresAt: this.expiresAt,
    });
  }

  /** The token, for callers that hand it to another process (e.g. a PKCS#11 bridge). Never log it. */
  get token(): string {
    return this.#token;
  }

  private call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: Omit<RequestOptions, 'token'> = {},
  ): Promise<T> {
    return this.#request<T>(method, path, { ...options, token: this.#token });
  }

  whoami(): Promise<SessionInfo> {
    return this.call<SessionInfo>('GET', '/v1/sessions/current');
  }

  async logout(): Promise<void> {
    await this.call<void>('DELETE', '/v1/sessions/current');
  }

  /** Seals the node (admin); every session ends, this one included. */
  async seal(): Promise<{ sealed: boolean }> {
    return this.call<{ sealed: boolean }>('POST', '/v1/cluster/seal', { body: {} });
  }

  /** Asks the cluster CA for a client certificate for the key in `csrPem` (admin). */
  issueClientCertificate(csrPem: string, commonName?: string): Promise<IssuedCertificate> {
    return this.call<IssuedCertificate>('POST', '/v1/cluster/client-certificates', {
      body: commonName === undefined ? { csr: csrPem } : { csr: csrPem, commonName },
    });
  }

  /** Audit events after sequence number `after` (admin). */
  auditEvents(after?: number, limit?: number): Promise<AuditPage> {
    return this.call<AuditPage>('GET', '/v1/audit/events', { query: { after, limit } });
  }

  /** Keeps the token out of logs and `console.log(session)`. */
  toJSON(): Record<string, string> {
    return { username: this.username, role: this.role, expiresAt: this.expiresAt };
  }
}
