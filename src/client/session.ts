import { cryptoCalls } from './crypto.js';
import { keyCalls } from './keys.js';
import type { RequestOptions, Requester } from './transport.js';
import type { AuditPage, IssuedCertificate, LoginResult, Role, SessionInfo } from './types.js';
import { userCalls } from './users.js';

type UserCalls = ReturnType<typeof userCalls>;
type KeyCalls = ReturnType<typeof keyCalls>;
type CryptoCalls = ReturnType<typeof cryptoCalls>;

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
  readonly generateSymmetricKey: KeyCalls['generateSymmetricKey'];
  readonly generateKeyPair: KeyCalls['generateKeyPair'];
  readonly listKeys: KeyCalls['listKeys'];
  readonly getKey: KeyCalls['getKey'];
  readonly exportPublicKey: KeyCalls['exportPublicKey'];
  readonly deleteKey: KeyCalls['deleteKey'];
  readonly encrypt: CryptoCalls['encrypt'];
  readonly decrypt: CryptoCalls['decrypt'];
  readonly sign: CryptoCalls['sign'];
  readonly verify: CryptoCalls['verify'];

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
    } = users);
    ({
      generateSymmetricKey: this.generateSymmetricKey,
      generateKeyPair: this.generateKeyPair,
      listKeys: this.listKeys,
      getKey: this.getKey,
      exportPublicKey: this.exportPublicKey,
      deleteKey: this.deleteKey,
    } = keys);
    ({ encrypt: this.encrypt, decrypt: this.decrypt, sign: this.sign, verify: this.verify } = crypto);
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
