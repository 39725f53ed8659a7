import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { ApiServices } from '../api/services.js';
import { CofferError } from '../errors/coffer-error.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { authenticateXks } from './xks-authentication.js';
import { EXTERNAL_KEY_ID, uriPath } from './xks-paths.js';
import type { XksApi } from './xks-routes.js';

/**
 * What every XKS request passes before its body is even read as JSON, in this order: the
 * signature (who signed it names the key store), the external key id's shape, the path (the
 * store's own prefix, byte for byte as signed), then the body parsed. So nothing about a store — not even
 * whether a prefix exists — is told to a caller that cannot sign for it.
 */
export function xksAuthentication(services: ApiServices): (request: FastifyRequest, api: XksApi) => Promise<void> {
  return async (request, api) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const url = request.raw.url ?? '';
    const store = await authenticateXks(
      { xks: services.xks, refusals: services.refusals },
      { method: request.raw.method ?? '', url, rawHeaders: request.raw.rawHeaders, body: raw },
      request.raw.socket as TLSSocket,
    );
    const { externalKeyId } = request.params as { externalKeyId?: string };
    if (externalKeyId !== undefined && !EXTERNAL_KEY_ID.test(externalKeyId))
      throw new CofferError('INVALID_FIELD', 'externalKeyId: 1 to 128 letters, digits, -, . and _');
    const expected = uriPath(store.pathPrefix) + api.path.replace(':externalKeyId', externalKeyId ?? '');
    const path = url.split('?')[0];
    if (path !== expected)
      await refuseAudited(
        services.writer,
        { actor: store.user, action: api.action, target: `xks/${store.id}`, details: { xksKeyStore: store.id } },
        'XKS_URI_PATH_INVALID',
        "the path is not under the signing credential's key store",
      );
    request.xksStore = store;
    request.body = parseBody(raw);
  };
}

function parseBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new CofferError('MALFORMED_JSON');
  }
}
