import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { blindedUrl } from './blinded-url.js';

/**
 * Per-request log lines: at debug for requests that succeed (at tens of thousands of
 * operations a second an info line each would cost more than the crypto), at info for every
 * refusal and error, so what went wrong is always in the log. Bodies are never logged, and
 * URLs are logged with their query's client data blinded (blinded-url.ts).
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    // Checked first: the line's fields would be built for nothing at info.
    if (logsDebug(request.log))
      request.log.debug({ method: request.method, url: blindedUrl(request.url) }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && reply.statusCode < 400 && !logsDebug(reply.log)) return;
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

/** The levels at which a success's line is written (pino's, from the most verbose). */
const DEBUG_LEVELS: ReadonlySet<string> = new Set(['trace', 'debug']);

function logsDebug(log: FastifyBaseLogger): boolean {
  return DEBUG_LEVELS.has(log.level);
}
