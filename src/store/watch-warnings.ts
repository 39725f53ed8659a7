/**
 * What a store reports by default when a watch cannot do its job quietly: a listener that
 * threw, or a reset nobody handles. Process warnings, naming the kind of error only: a
 * message may carry data.
 */
export function kindOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function warnListenerError(error: unknown): void {
  process.emitWarning(`A state store watch listener threw (${kindOf(error)}); other listeners were still called`, {
    code: 'COFFER_STORE_WATCH_LISTENER',
  });
}

export function warnUnhandledReset(): void {
  process.emitWarning('A state store watch lost history it had to deliver and has no onReset; its view may be stale', {
    code: 'COFFER_STORE_WATCH_RESET',
  });
}
