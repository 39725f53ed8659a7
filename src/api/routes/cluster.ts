import type { FastifyInstance } from 'fastify';
import { originOf } from '../../audit/refusal-budget.js';
import { decodeShare } from '../../barrier/unseal-shares.js';
import { sessionOf } from '../auth.js';
import { emptyObject, object, password } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function clusterRoutes(app: FastifyInstance, services: ApiServices): void {
  const { cluster } = services;

  app.get('/v1/cluster/status', { config: { allowWhenSealed: true } }, () => cluster.status());

  // Discovery, before any login: what a client needs to connect, and nothing it could not learn by connecting.
  app.get('/v1/cluster/nodes', { config: { allowWhenSealed: true } }, async () => ({
    nodes: await services.membership.nodes(),
  }));

  app.post<{ Body: { share: string } }>(
    '/v1/cluster/unseal',
    {
      config: { allowWhenSealed: true },
      schema: { body: object({ share: { type: 'string', maxLength: 200 } }, ['share']) },
    },
    async (request) => {
      const status = await cluster.unseal(decodeShare(request.body.share));
      return { sealed: status.sealed, threshold: status.threshold, shares: status.shares, progress: status.progress };
    },
  );

  app.post(
    '/v1/cluster/seal',
    { config: { operation: 'cluster.seal' }, schema: { body: emptyObject } },
    async (request) => {
      await cluster.seal(sessionOf(request));
      return { sealed: true };
    },
  );

  app.post<{ Body: { password: string } }>(
    '/v1/cluster/activate',
    { schema: { body: object({ password }, ['password']) } },
    async (request) => {
      const secret = Buffer.from(request.body.password, 'utf8');
      try {
        return await services.users.activate(secret, originOf('api', request.raw.socket));
      } finally {
        secret.fill(0);
      }
    },
  );

  app.post<{ Body: { csr: string; commonName?: string } }>(
    '/v1/cluster/client-certificates',
    {
      config: { operation: 'cluster.issue-client-certificate' },
      schema: {
        body: object(
          { csr: { type: 'string', maxLength: 16_384 }, commonName: { type: 'string', minLength: 1, maxLength: 64 } },
          ['csr'],
        ),
      },
    },
    (request) => cluster.issueClientCertificate(sessionOf(request), request.body.csr, request.body.commonName),
  );
}
