import { CofferApiError, CofferConnectionError } from '../client/index.js';

/** CLI-local error codes, for problems found before (or instead of) asking the node. */
export type CliErrorCode =
  | 'INVALID_ARGUMENT'
  | 'MISSING_ARGUMENT'
  | 'MISSING_CREDENTIALS'
  | 'CONFIG_INVALID'
  | 'FILE_ERROR'
  | 'KEY_NOT_FOUND'
  | 'KEY_FILTER_AMBIGUOUS'
  | 'MECHANISM_INVALID'
  | 'SIGNATURE_INVALID';

export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

/** The code and message to print for any error a command throws. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CliError || error instanceof CofferApiError || error instanceof CofferConnectionError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'INTERNAL_ERROR';
    return { code, message: error.message };
  }
  return { code: 'INTERNAL_ERROR', message: String(error) };
}
