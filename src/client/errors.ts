import { isErrorCode, type ErrorCode } from '../errors/registry.js';

/**
 * An error answer of a Coffer node. `code` is the stable code of the error registry when the
 * SDK knows it, else the raw string the node sent (a newer node may know more codes).
 */
export class CofferApiError extends Error {
  readonly code: ErrorCode | string;
  readonly status: number;
  /** Fields of the error answer beyond code and message (an MFA challenge, for MFA_REQUIRED). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, status: number, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'CofferApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Whether `code` is one of the registry's codes (rather than one this SDK does not know). */
  get known(): boolean {
    return isErrorCode(this.code);
  }
}

/** No endpoint could be reached; `causes` holds one transport error per endpoint tried. */
export class CofferConnectionError extends Error {
  readonly code = 'CONNECTION_FAILED';
  readonly causes: readonly Error[];

  constructor(message: string, causes: readonly Error[]) {
    super(message, { cause: causes[causes.length - 1] });
    this.name = 'CofferConnectionError';
    this.causes = causes;
  }
}

export function isCofferApiError(error: unknown, code?: ErrorCode): error is CofferApiError {
  return error instanceof CofferApiError && (code === undefined || error.code === code);
}
