import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCofferError } from '../api/error-handler.js';
import type { CofferError } from '../errors/coffer-error.js';
import { KMS_EXCEPTIONS, type KmsException } from '../errors/kms-exceptions.js';
import { ERRORS } from '../errors/registry.js';

export const KMS_CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface KmsErrorBody {
  readonly __type: KmsException;
  readonly message: string;
}

/**
 * Any error of a KMS request, answered as KMS does: `{"__type": "<Exception>", "message": …}`
 * with KMS's status for it and the x-amzn-ErrorType header, the exception being the error
 * registry's `kms` column for the Coffer code. The message starts with the Coffer code, then
 * the registry's text and detail, which never carry a secret.
 */
export function kmsErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const coffer = toCofferError(error);
  if (coffer.code === 'INTERNAL_ERROR') request.log.error({ err: coffer.cause }, 'internal error');
  else if (coffer.status >= 500)
    request.log.error({ code: coffer.code, detail: coffer.detail }, 'request refused by the node');
  const body = kmsErrorBody(coffer);
  return reply
    .code(KMS_EXCEPTIONS[body.__type])
    .header('content-type', KMS_CONTENT_TYPE)
    .header('x-amzn-errortype', body.__type)
    .header('x-amzn-requestid', request.id)
    .send(JSON.stringify(body));
}

export function kmsErrorBody(error: CofferError): KmsErrorBody {
  return { __type: ERRORS[error.code].kms, message: `${error.code}: ${error.message}` };
}
