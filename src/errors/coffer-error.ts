import { ERRORS, type ErrorCode } from './registry.js';

/**
 * The only error type that crosses a module boundary. `detail` says what was wrong with the
 * input (a field name, an allowed range); it is shown to the client, so it must never hold a
 * secret, a key byte or a password.
 */
export class CofferError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec = ERRORS[code];
    super(detail === undefined ? spec.message : `${spec.message}: ${detail}`, options);
    this.name = 'CofferError';
    this.code = code;
    this.status = spec.status;
    this.detail = detail;
  }
}

export function isCofferError(error: unknown, code?: ErrorCode): error is CofferError {
  return error instanceof CofferError && (code === undefined || error.code === code);
}
