import type { FastifyInstance } from 'fastify';
import type { MfaAnswer } from '../../identity/mfa.js';
import type { KeyPurpose } from '../../identity/user-keys.js';
import { sessionOf } from '../auth.js';
import { base64, emptyObject, object, password, username } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { mfa, withMfaChallenge } from './sessions.js';

/**
 * The user's confirmation of a change to their own keys. Optional in the schema so that its
 * absence is the service's audited PASSWORD_REQUIRED, not an unaudited schema refusal.
 */
const confirmation = { password, mfa } as const;

const registration = object(
  {
    publicKey: { type: 'string', maxLength: 16_384 },
    challengeId: { type: 'string', maxLength: 64 },
    signature: base64,
    ...confirmation,
  },
  ['publicKey', 'challengeId', 'signature'],
);

interface Confirmation {
  readonly password?: string;
  readonly mfa?: MfaAnswer;
}

/** Runs `use` with the confirmation's password as a Buffer, zeroed afterwards. */
async function confirming<T>(
  body: Confirmation | undefined,
  use: (confirm: { password?: Buffer; mfa?: MfaAnswer }) => Promise<T>,
): Promise<T> {
  const secret = body?.password === undefined ? undefined : Buffer.from(body.password, 'utf8');
  try {
    return await use({ password: secret, mfa: body?.mfa });
  } finally {
    secret?.fill(0);
  }
}

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
      async (request, reply) =>
        reply.code(201).send(await services.userKeys.registrationToken(sessionOf(request), purpose)),
    );

    app.put<{ Body: { publicKey: string; challengeId: string; signature: string } & Confirmation }>(
      `/v1/users/me/${path}`,
      { config: { operation }, schema: { body: registration } },
      (request, reply) =>
        withMfaChallenge(reply, () =>
          confirming(request.body, (confirm) =>
            services.userKeys.register(
              sessionOf(request),
              purpose,
              request.body.publicKey,
              { challengeId: request.body.challengeId, signature: request.body.signature },
              confirm,
            ),
          ),
        ),
    );

    // The user's own key: the body confirms it; an admin removing another user's: no body needed.
    app.delete<{ Params: { username: string }; Body?: Confirmation }>(
      `/v1/users/:username/${path}`,
      {
        config: { operation },
        schema: { params: object({ username }, ['username']), body: object(confirmation, []) },
        // No body at all (an admin's request) is an empty confirmation, checked by the schema as one.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      (request, reply) =>
        withMfaChallenge(reply, () =>
          confirming(request.body, (confirm) =>
            services.userKeys.deregister(sessionOf(request), request.params.username, purpose, confirm),
          ),
        ),
    );
  }
}
