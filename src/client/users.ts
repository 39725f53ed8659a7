import type { KeyObject } from 'node:crypto';
import { isCofferApiError } from './errors.js';
import { signBytes } from './quorum-file.js';
import type { RegistrationToken } from './quorum.js';
import type { Requester } from './transport.js';
import type { Role, UserSummary } from './types.js';

/**
 * Confirms a change of your own MFA or quorum key: your password and, when you have an MFA key,
 * either the MFA private key (the SDK signs the node's challenge) or a challenge signed elsewhere.
 */
export interface KeyChangeConfirmation {
  readonly password: string;
  readonly mfaPrivateKey?: string | Buffer | KeyObject;
  readonly mfaAnswer?: { readonly challengeId: string; readonly signature: string };
}

/** Sends `body` with the confirmation; answers MFA_REQUIRED by signing its challenge, once. */
export async function confirmedRequest<T>(
  send: (body: Record<string, unknown>) => Promise<T>,
  body: Record<string, unknown>,
  confirm: KeyChangeConfirmation,
): Promise<T> {
  const confirmed = { ...body, password: confirm.password, ...(confirm.mfaAnswer ? { mfa: confirm.mfaAnswer } : {}) };
  try {
    return await send(confirmed);
  } catch (error) {
    if (confirm.mfaPrivateKey === undefined || confirm.mfaAnswer || !isCofferApiError(error, 'MFA_REQUIRED'))
      throw error;
    const challenge = error.details.challenge as { challengeId: string; challenge: string };
    const signature = signBytes(confirm.mfaPrivateKey, Buffer.from(challenge.challenge, 'base64'));
    return send({ ...confirmed, mfa: { challengeId: challenge.challengeId, signature } });
  }
}

/** The user routes, for a session's token. */
export function userCalls(request: Requester, token: string) {
  const user = (username: string) => `/v1/users/${encodeURIComponent(username)}`;
  const keyPath = (purpose: 'mfa' | 'quorum') => (purpose === 'mfa' ? 'mfa' : 'quorum-key');
  return {
    async listUsers(): Promise<UserSummary[]> {
      const answer = await request<{ users: UserSummary[] }>('GET', '/v1/users', { token });
      return answer.users;
    },
    createUser(username: string, role: Role, password: string): Promise<UserSummary> {
      return request<UserSummary>('POST', '/v1/users', { token, body: { username, role, password } });
    },
    async deleteUser(username: string): Promise<void> {
      await request<void>('DELETE', user(username), { token });
    },
    unlockUser(username: string): Promise<UserSummary> {
      return request<UserSummary>('POST', `${user(username)}/unlock`, { token, body: {} });
    },
    /** Changes the logged-in user's password; the user's other sessions end. */
    async changeOwnPassword(currentPassword: string, newPassword: string): Promise<void> {
      await request<void>('PUT', '/v1/users/me/password', { token, body: { currentPassword, newPassword } });
    },
    /** A registration token for your new MFA or quorum key, to sign with its private key. */
    registrationToken(purpose: 'mfa' | 'quorum'): Promise<RegistrationToken> {
      return request<RegistrationToken>('POST', `/v1/users/me/${keyPath(purpose)}/registration-token`, {
        token,
        body: {},
      });
    },
    /** Registers (or replaces) your MFA or quorum key; `confirm` proves it is you, not only your token. */
    registerKey(
      purpose: 'mfa' | 'quorum',
      publicKey: string,
      proof: { challengeId: string; signature: string },
      confirm: KeyChangeConfirmation,
    ): Promise<UserSummary> {
      return confirmedRequest(
        (body) => request<UserSummary>('PUT', `/v1/users/me/${keyPath(purpose)}`, { token, body }),
        { publicKey, ...proof },
        confirm,
      );
    },
    /**
     * Removes a registered key: your own (give `confirm`), or, as an admin, another user's (no
     * `confirm`; under the user quorum).
     */
    deregisterKey(username: string, purpose: 'mfa' | 'quorum', confirm?: KeyChangeConfirmation): Promise<UserSummary> {
      const send = (body: Record<string, unknown>) =>
        request<UserSummary>('DELETE', `${user(username)}/${keyPath(purpose)}`, { token, body });
      return confirm ? confirmedRequest(send, {}, confirm) : send({});
    },
  };
}
