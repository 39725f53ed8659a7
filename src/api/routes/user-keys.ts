import type { FastifyInstance } from 'fastify';
import type { KeyPurpose } from '../../identity/user-keys.js';
import { sessionOf } from '../auth.js';
import { base64, emptyObject, object, username } from '../schemas.js';
import type { ApiServices } from '../services.js';

const registration = object(
  {
    publicKey: { type: 'string', maxLength: 16_384 },
    challengeId: { type: 'string', maxLength: 64 },
    signature: base64,
  },
  ['publicKey', 'challengeId', 'signature'],
);

const ROUTES = [
  { purpose: 'mfa', path: 'mfa', operation: 'user.change-mfa' },
  { purpose: 'quorum', path: 'quorum-key', operation: 'user.change-quorum' },
] as const satisfies readonly { purpose: KeyPurpose; path: string; operation: string }[];

/**
 * `user change-mfa token-sign` and `user change-quorum token-sign register`: get a registration
 * token, sign it with the private key, register the public key with the signature; an MFA key
 * is removed by its user, or by an admin (under the user quorum).
 */
export function userKeyRoutes(app: FastifyInstance, services: ApiServices): void {
  for (const { purpose, path, operation } of ROUTES) {
    app.post(
      `/v1/users/me/${path}/registration-token`,
      { config: { operation }, schema: { body: emptyObject } },
      async (request, reply) => reply.code(201).send(services.userKeys.registrationToken(sessionOf(request), purpose)),
    );

    app.put<{ Body: { publicKey: string; challengeId: string; signature: string } }>(
      `/v1/users/me/${path}`,
      { config: { operation }, schema: { body: registration } },
      (request) =>
        services.userKeys.register(sessionOf(request), purpose, request.body.publicKey, {
          challengeId: request.body.challengeId,
          signature: request.body.signature,
        }),
    );

    app.delete<{ Params: { username: string } }>(
      `/v1/users/:username/${path}`,
      { config: { operation }, schema: { params: object({ username }, ['username']) } },
      (request) => services.userKeys.deregister(sessionOf(request), request.params.username, purpose),
    );
  }
}
