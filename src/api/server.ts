import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CofferError } from '../errors/coffer-error.js';
import { registerAuth } from './auth.js';
import { registerIdempotencyHeader } from './idempotency-header.js';
import { RequestLog } from './request-log.js';
import { errorBody, errorHandler } from './error-handler.js';
import { collectRoutes } from './openapi.js';
import { ROUTES } from './routes/index.js';
import type { ApiServices } from './services.js';

export interface ServerTls {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Trust anchor(s) for client certificates. */
  readonly ca: Buffer;
  /** Outside dev mode a client certificate is required at the TLS handshake. */
  readonly requireClientCert: boolean;
}

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The /v1 API over TLS 1.3 only. Request validation refuses unknown fields and never coerces
 * types, so what a client sends is exactly what the services see.
 */
export function buildServer(tls: ServerTls, services: ApiServices, logger: Logger): FastifyInstance {
  const app = Fastify({
    https: {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: tls.requireClientCert,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    },
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    // Path segments of up to 128 characters: the XKS spec's external key ids and path prefixes.
    routerOptions: { maxParamLength: 128 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
      },
    },
  });
  // JSON only: a text body is refused as UNSUPPORTED_MEDIA_TYPE rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => {
    const error = new CofferError('ROUTE_NOT_FOUND');
    return reply.code(error.status).send(errorBody(error));
  });
  // First, so that the OpenAPI document sees every route registered after it.
  collectRoutes(app);
  registerAuth(app, services);
  registerIdempotencyHeader(app);
  for (const register of ROUTES) register(app, services);
  return app;
}
