import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CofferError } from '../errors/coffer-error.js';
import { ERRORS, type ErrorCode } from '../errors/registry.js';

/** Fastify's own error codes, mapped once onto Coffer's. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
};

/** JSON-schema keywords, mapped onto the three request-shape codes. */
const VALIDATION_CODES: Readonly<Record<string, ErrorCode>> = {
  additionalProperties: 'UNKNOWN_FIELD',
  required: 'MISSING_FIELD',
};

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** Turns any thrown error into a registry error. Unknown errors become INTERNAL_ERROR and are logged. */
export function toCofferError(error: unknown): CofferError {
  if (error instanceof CofferError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation && fastifyError.validation.length > 0) {
    const first = fastifyError.validation[0]!;
    const code = VALIDATION_CODES[first.keyword] ?? 'INVALID_FIELD';
    return new CofferError(code, describeValidation(first.instancePath, first.params, fastifyError.validationContext));
  }
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped) return new CofferError(mapped);
  if (error instanceof SyntaxError) return new CofferError('MALFORMED_JSON');
  return new CofferError('INTERNAL_ERROR', undefined, { cause: error });
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const coffer = toCofferError(error);
  if (coffer.code === 'INTERNAL_ERROR') request.log.error({ err: coffer.cause }, 'internal error');
  else if (coffer.status >= 500)
    request.log.error({ code: coffer.code, detail: coffer.detail }, 'request refused by the node');
  return reply.code(coffer.status).send(errorBody(coffer));
}

export function errorBody(error: CofferError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

/** Names the offending field without echoing its value (which might be a secret). */
function describeValidation(path: string, params: Record<string, unknown>, context: string | undefined): string {
  const where = `${context ?? 'body'}${path.replaceAll('/', '.')}`;
  if (typeof params.additionalProperty === 'string') return `${where}.${params.additionalProperty}`;
  if (typeof params.missingProperty === 'string') return `${where}.${params.missingProperty}`;
  return where;
}

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
