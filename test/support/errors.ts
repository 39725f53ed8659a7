import assert from 'node:assert/strict';
import { CofferError } from '../../src/errors/coffer-error.js';
import type { ErrorCode } from '../../src/errors/registry.js';

/**
 * For tests: a validator for assert.throws / assert.rejects that wants a CofferError of one
 * code, and optionally a detail containing `detailPart`.
 */
export function coffer(code: ErrorCode, detailPart?: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof CofferError, `expected a CofferError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (detailPart !== undefined) assert.ok(error.detail?.includes(detailPart), `detail: ${error.detail}`);
    return true;
  };
}
