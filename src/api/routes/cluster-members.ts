import type { FastifyInstance } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { AddNodeRequest } from '../../cluster/membership/node-admission.js';
import type { PeerUnsealRequest } from '../../cluster/peer-unseal/peer-unseal-service.js';
import { sessionOf } from '../auth.js';
import { object } from '../schemas.js';
import type { ApiServices } from '../services.js';

const nodeId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const names = { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 253 } } as const;

/**
 * The cluster's nodes: listed by any user, added and removed by an admin (under the `cluster`
 * quorum when its value asks for one), each change audited; and peer unseal, which no user may
 * call — only a node, known by its certificate (src/cluster/peer-unseal/).
 */
export function clusterMemberRoutes(app: FastifyInstance, services: ApiServices): void {
  app.get('/v1/cluster/members', { config: { operation: 'cluster.list-nodes' } }, async () => ({
    nodes: await services.nodes.list(),
  }));

  app.post<{ Body: AddNodeRequest }>(
    '/v1/cluster/members',
    {
      config: { operation: 'cluster.add-node' },
      schema: {
        body: object(
          {
            csr: { type: 'string', maxLength: 16_384 },
            zone: { type: 'string', maxLength: 63 },
            dnsNames: names,
            ipAddresses: names,
          },
          ['csr'],
        ),
      },
    },
    async (request, reply) => reply.code(201).send(await services.nodes.add(sessionOf(request), request.body)),
  );

  app.delete<{ Params: { nodeId: string } }>(
    '/v1/cluster/members/:nodeId',
    {
      config: { operation: 'cluster.remove-node' },
      schema: { params: object({ nodeId }, ['nodeId']) },
    },
    async (request) => ({ ...(await services.nodes.remove(sessionOf(request), request.params.nodeId)), removed: true }),
  );

  app.post<{ Body: PeerUnsealRequest }>(
    '/v1/cluster/peer-unseal',
    {
      schema: {
        body: object({ nodeId, ephemeralPublicKey: { type: 'string', maxLength: 64 } }, [
          'nodeId',
          'ephemeralPublicKey',
        ]),
      },
    },
    (request) => services.peerUnseal.handle(request.raw.socket as TLSSocket, request.body),
  );
}
