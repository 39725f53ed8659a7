import type { Requester } from './transport.js';
import type { Role, UserSummary } from './types.js';

/** The user routes, for a session's token. */
export function userCalls(request: Requester, token: string) {
  const user = (username: string) => `/v1/users/${encodeURIComponent(username)}`;
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
  };
}
