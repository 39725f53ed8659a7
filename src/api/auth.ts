import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { CofferError } from '../errors/coffer-error.js';
import { authorize, isAllowed, type PolicyOperation } from '../identity/policy.js';
import type { Session } from '../identity/sessions.js';
import type { ApiServices } from './services.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The policy-table operation this route performs; the route then needs a session. */
    operation?: PolicyOperation;
    /** Needs a session but no particular permission (whoami, logout). */
    authenticated?: boolean;
    /** Served while the node is sealed (health, status, unseal). */
    allowWhenSealed?: boolean;
  }
  interface FastifyRequest {
    session?: Session;
  }
}

const BEARER = /^Bearer (\S+)$/;

/**
 * The gate every request passes, in order: a valid client certificate (when one is presented,
 * or always outside dev mode — TLS itself refuses a missing one there), the seal, the session,
 * and the permission table. A refusal by the table is audited.
 */
export function registerAuth(app: FastifyInstance, services: ApiServices): void {
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    // `authorized` first: getPeerCertificate builds the whole certificate as an object (its
    // fingerprints, its key), which costs more than the rest of a small request.
    if (!socket.authorized && socket.getPeerCertificate && Object.keys(socket.getPeerCertificate()).length > 0) {
      throw new CofferError('CLIENT_CERT_REQUIRED', 'the certificate was not issued by the cluster CA');
    }
    services.revokedClients.refuse(socket);
    if (services.cluster.sealed && !request.routeOptions.config.allowWhenSealed) throw new CofferError('NODE_SEALED');
  });

  app.addHook('preHandler', async (request) => {
    const { operation, authenticated } = request.routeOptions.config;
    if (!operation && !authenticated) return;
    const session = await services.sessions.resolve(bearerToken(request));
    request.session = session;
    if (operation) await requirePermission(services, session, operation);
  });
}

/** The permission table's answer for one operation; a refusal is audited, then thrown. */
export async function requirePermission(
  services: Pick<ApiServices, 'writer'>,
  session: Session,
  operation: PolicyOperation,
): Promise<void> {
  if (isAllowed(session.role, operation)) return;
  await services.writer.commit({
    event: { actor: session.username, action: operation, result: 'failure', code: 'PERMISSION_DENIED' },
  });
  authorize(session.role, operation);
}

export function bearerToken(request: FastifyRequest): string {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) throw new CofferError('NOT_AUTHENTICATED');
  return match[1]!;
}

/** The session of an authenticated route (the preHandler guarantees it). */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.session) throw new CofferError('NOT_AUTHENTICATED');
  return request.session;
}
