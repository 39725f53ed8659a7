import type { FastifyInstance } from 'fastify';
import { CREATABLE_ROLES, type CreatableRole } from '../../identity/roles.js';
import { CofferError } from '../../errors/coffer-error.js';
import type { UserSummary } from '../../identity/user-record.js';
import { claimingWrites, type WriteOutcome } from '../../records/write-claim.js';
import { sessionOf } from '../auth.js';
import { emptyObject, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const usernameParams = object({ username }, ['username']);
const USER_TARGET = 'user/';

export function userRoutes(app: FastifyInstance, services: ApiServices): void {
  const { users } = services;

  /** A retried user.create answers the user it made, as it is now. */
  const createdUser = async (outcome: WriteOutcome): Promise<UserSummary> => {
    const username = outcome.target?.startsWith(USER_TARGET) ? outcome.target.slice(USER_TARGET.length) : undefined;
    const user = (await users.list()).find((entry) => entry.username === username);
    if (!user) throw new CofferError('USER_NOT_FOUND');
    return user;
  };

  app.get('/v1/users', { config: { operation: 'user.list' } }, async () => ({ users: await users.list() }));

  app.post<{ Body: { username: string; role: CreatableRole; password: string } }>(
    '/v1/users',
    {
      config: { operation: 'user.create', idempotent: true },
      schema: {
        body: object({ username, role: { type: 'string', enum: CREATABLE_ROLES }, password }, [
          'username',
          'role',
          'password',
        ]),
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      const secret = Buffer.from(request.body.password, 'utf8');
      try {
        const created = await services.idempotency.run(
          request.idempotency,
          session.username,
          () =>
            claimingWrites('user.create', () =>
              users.create(session, request.body.username, request.body.role, secret),
            ),
          (outcome) => createdUser(outcome),
        );
        return reply.code(201).send(created);
      } finally {
        secret.fill(0);
      }
    },
  );

  app.put<{ Body: { currentPassword: string; newPassword: string } }>(
    '/v1/users/me/password',
    {
      config: { operation: 'user.change-own-password' },
      schema: {
        body: object({ currentPassword: password, newPassword: password }, ['currentPassword', 'newPassword']),
      },
    },
    async (request, reply) => {
      const current = Buffer.from(request.body.currentPassword, 'utf8');
      const next = Buffer.from(request.body.newPassword, 'utf8');
      try {
        await users.changeOwnPassword(sessionOf(request), current, next);
        return reply.code(204).send();
      } finally {
        current.fill(0);
        next.fill(0);
      }
    },
  );

  app.put<{ Params: { username: string }; Body: { newPassword: string } }>(
    '/v1/users/:username/password',
    {
      config: { operation: 'user.change-password' },
      schema: { params: usernameParams, body: object({ newPassword: password }, ['newPassword']) },
    },
    async (request, reply) => {
      const next = Buffer.from(request.body.newPassword, 'utf8');
      try {
        await users.changePassword(sessionOf(request), request.params.username, next);
        return reply.code(204).send();
      } finally {
        next.fill(0);
      }
    },
  );

  app.delete<{ Params: { username: string } }>(
    '/v1/users/:username',
    { config: { operation: 'user.delete', idempotent: true }, schema: { params: usernameParams } },
    async (request, reply) => {
      const session = sessionOf(request);
      await services.idempotency.run(
        request.idempotency,
        session.username,
        () => claimingWrites('user.delete', () => users.delete(session, request.params.username)),
        async () => undefined,
      );
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { username: string } }>(
    '/v1/users/:username/unlock',
    { config: { operation: 'user.unlock' }, schema: { params: usernameParams, body: emptyObject } },
    (request) => users.unlock(sessionOf(request), request.params.username),
  );
}
