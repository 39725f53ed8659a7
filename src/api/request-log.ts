import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { blindedUrl } from './blinded-url.js';

/**
 * Per-request log lines: at debug for requests that succeed (at tens of thousands of
 * operations a second an info line each would cost more than the crypto), at info for every
 * refusal and error, so what went wrong is always in the log. Bodies are never logged, and
 * URLs are logged with their query's client data blinded (blinded-url.ts).
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: blindedUrl(request.url) }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: blindedUrl(request.url),
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (reply.statusCode >= 400) reply.log.info(line, 'request refused');
    else reply.log.debug(line, 'request completed');
  }
}
