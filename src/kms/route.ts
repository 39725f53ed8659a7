import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CofferError } from '../errors/coffer-error.js';
import type { Services } from '../operations/services.js';
import { refuseAudited } from '../records/audited-refusal.js';
import { authenticate } from './authenticate.js';
import type { KmsContext } from './context.js';
import { KMS_CONTENT_TYPE, kmsErrorHandler } from './errors.js';
import { kmsAccount } from './key-ids.js';
import { KMS_TARGETS, TARGET_PREFIX } from './targets.js';

/** KMS requests are small: 4 KiB of plaintext, 6 KiB blobs, 8 KiB of encryption context. */
export const KMS_BODY_LIMIT = 64 * 1024;
const OPERATION_NAME = /^[A-Za-z]{1,64}$/;

/**
 * The KMS-compatible API (AWS JSON 1.1): `POST /` with `X-Amz-Target: TrentService.<Operation>`
 * and `Content-Type: application/x-amz-json-1.1`, on the node's own TLS port. One listener
 * keeps one TLS policy (TLS 1.3; outside dev mode a client certificate of the cluster CA), one
 * seal check and one set of limits for every way in; a KMS client needs only an endpoint, a
 * trust anchor and an access key. Its own Fastify context gives it KMS's error shape and the
 * raw body bytes, which SigV4 signs. Order: the signature (over the exact bytes received), the
 * operation name, the JSON, then the operation — every one of them through the registry.
 */
export function kmsRoutes(app: FastifyInstance, services: Services): void {
  void app.register(async (kms) => {
    kms.setErrorHandler(kmsErrorHandler);
    kms.addContentTypeParser(
      KMS_CONTENT_TYPE,
      { parseAs: 'buffer', bodyLimit: KMS_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    kms.post('/', { bodyLimit: KMS_BODY_LIMIT }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || !isKmsContentType(request))
        throw new CofferError('UNSUPPORTED_MEDIA_TYPE', `the KMS API takes ${KMS_CONTENT_TYPE}`);
      const { session, region } = await authenticate(services, request, request.body);
      const name = operationName(request.headers['x-amz-target']);
      const context: KmsContext = {
        services,
        session,
        scope: { account: kmsAccount(services.cluster.info.clusterId), region },
        action: `kms.${name}`,
      };
      const handler = KMS_TARGETS.get(name);
      if (!handler)
        await refuseAudited(
          services.writer,
          { actor: session.username, action: context.action },
          'KMS_OPERATION_UNSUPPORTED',
          name,
        );
      const result = await handler!(context, parseBody(request.body));
      return reply
        .header('content-type', KMS_CONTENT_TYPE)
        .header('x-amzn-requestid', request.id)
        .send(JSON.stringify(result));
    });
  });
}

function isKmsContentType(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === KMS_CONTENT_TYPE;
}

function operationName(target: string | string[] | undefined): string {
  const value = typeof target === 'string' ? target : '';
  const name = value.startsWith(TARGET_PREFIX) ? value.slice(TARGET_PREFIX.length) : '';
  if (!OPERATION_NAME.test(name))
    throw new CofferError('KMS_OPERATION_UNSUPPORTED', 'X-Amz-Target is TrentService.<Operation>');
  return name;
}

/** A JSON object; `__proto__` members are refused, as the /v1 parser refuses them. */
function parseBody(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'), (key, value: unknown) => {
      if (key === '__proto__') throw new SyntaxError('__proto__');
      return value;
    });
  } catch {
    throw new CofferError('MALFORMED_JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CofferError('MALFORMED_JSON', 'the body is a JSON object');
  return parsed as Record<string, unknown>;
}
