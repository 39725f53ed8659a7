import type { FastifyInstance } from 'fastify';
import { APPROVAL_HEADER, parseApprovalHeader, runWithApproval } from '../../identity/quorum-approval-context.js';
import {
  CLUSTER_QUORUM_SERVICES,
  QUORUM_SERVICES,
  type ClusterQuorumService,
  type QuorumService,
} from '../../identity/quorum-token.js';
import type { ApprovalInput } from '../../identity/quorum-token.js';
import { sessionOf } from '../auth.js';
import { handle, object } from '../schemas.js';
import type { ApiServices } from '../services.js';

const value = { type: 'integer', minimum: 1, maximum: 8 } as const;

/**
 * Quorum (M of N), CloudHSM's token-sign flow: tokens, the cluster's quorum values, and a key's
 * own values. Any request may carry approvals in the `x-coffer-quorum-approval` header; they are
 * held for the request so the service that needs it finds it (see quorum-approval-context.ts).
 */
export function quorumRoutes(app: FastifyInstance, services: ApiServices): void {
  app.addHook('onRequest', (request, _reply, done) => {
    let approvals: readonly ApprovalInput[];
    try {
      approvals = parseApprovalHeader(request.headers[APPROVAL_HEADER]);
    } catch (error) {
      done(error as Error);
      return;
    }
    runWithApproval(approvals, () => done());
  });

  app.post<{ Body: { service: QuorumService; keyHandle?: string; timeoutSeconds?: number } }>(
    '/v1/quorum/tokens',
    {
      config: { operation: 'quorum.generate' },
      schema: {
        body: object(
          {
            service: { type: 'string', enum: QUORUM_SERVICES },
            keyHandle: handle,
            timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 },
          },
          ['service'],
        ),
      },
    },
    async (request, reply) => {
      const { service, keyHandle, timeoutSeconds } = request.body;
      const token = await services.quorum.generate(sessionOf(request), service, {
        ...(keyHandle === undefined ? {} : { keyHandle: keyHandle.toLowerCase() }),
        ...(timeoutSeconds === undefined ? {} : { lifetimeMs: timeoutSeconds * 1000 }),
      });
      const { sessionId: _session, ...shown } = token;
      return reply.code(201).send({ token: shown });
    },
  );

  app.get('/v1/quorum/tokens', { config: { operation: 'quorum.list' } }, async () => ({
    tokens: await services.quorum.list(),
  }));

  app.delete<{ Params: { id: string } }>(
    '/v1/quorum/tokens/:id',
    {
      config: { operation: 'quorum.delete' },
      schema: { params: object({ id: { type: 'string', maxLength: 64 } }, ['id']) },
    },
    async (request, reply) => {
      await services.quorum.delete(sessionOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get('/v1/quorum/values', { config: { operation: 'quorum.read-values' } }, async () => ({
    values: await services.quorumValues.get(),
  }));

  app.put<{ Params: { service: ClusterQuorumService }; Body: { value: number } }>(
    '/v1/quorum/values/:service',
    {
      config: { operation: 'quorum.set-value' },
      schema: {
        params: object({ service: { type: 'string', enum: CLUSTER_QUORUM_SERVICES } }, ['service']),
        body: object({ value }, ['value']),
      },
    },
    async (request) => ({
      values: await services.quorumValues.set(sessionOf(request), request.params.service, request.body.value),
    }),
  );
}
