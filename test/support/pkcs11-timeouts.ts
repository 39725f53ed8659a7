/**
 * The module's timeouts for test programs that may run under valgrind. A first TLS handshake
 * under memcheck costs tens of times its native CPU, and on a loaded 2-core machine it can
 * outlast the module's default 5 s connect timeout; that would fail the test for a reason the
 * test is not about. Tests of the timeouts themselves set their own.
 */
export const UNDER_VALGRIND_TIMEOUTS = { connectTimeoutMs: 30_000, requestTimeoutMs: 60_000 } as const;
