/**
 * The cost of resolving a session from the store, as every request does: SessionManager.resolve
 * over a real SQLite store with a real barrier (a store get, the freshness check, AES-256-GCM
 * open of the small sealed record, JSON parse), with N sessions in the store, against a plain
 * in-memory Map lookup of the token's SHA-256 (what a node-local session table costs).
 * Sequential calls: the per-request cost, not a throughput. The clock stands still while the
 * reads are measured (no session is due a refresh); then it moves on by the refresh interval and
 * every session is resolved once more, each one refresh (a compared commit with its audit event,
 * one fsync each here, sequential: the worst case; concurrent refreshes are group-committed).
 *
 *   node dist/bench/session-resolve.js [sessions=1000] [resolves=20000]
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { summarize } from '../src/bench/stats.js';
import {
  MAX_REFRESH_INTERVAL_MS,
  SessionManager,
  type OpeningSession,
  type Session,
} from '../src/identity/sessions.js';
import { openTestStore } from '../test/support/test-store.js';

const sessionCount = Number(process.argv[2] ?? 1000);
const resolves = Number(process.argv[3] ?? 20_000);

const t = await openTestStore('coffer-bench-sessions-');
try {
  const clock = { now: Date.now() };
  const sessions = new SessionManager({
    reader: t.reader,
    writer: t.writer,
    store: t.store,
    limits: { idleMs: 15 * 60_000, absoluteMs: 8 * 3600_000, perUser: sessionCount },
    now: () => clock.now,
  });
  const opened: OpeningSession[] = [];
  const memory = new Map<string, Session>();
  for (let i = 0; i < sessionCount; i++) {
    const opening = sessions.mint(`user_${i % 50}`, 'crypto-user');
    await t.writer.commit({
      ...(await sessions.opening(opening)),
      event: { actor: opening.session.username, action: 'session.login', result: 'success' },
    });
    opened.push(opening);
    memory.set(createHash('sha256').update(opening.token).digest('hex'), opening.session);
  }
  const measure = async (name: string, resolve: (token: string) => unknown): Promise<void> => {
    for (let i = 0; i < 1000; i++) await resolve(opened[i % opened.length]!.token);
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < resolves; i++) {
      const began = performance.now();
      await resolve(opened[(i * 7919) % opened.length]!.token);
      latencies.push(performance.now() - began);
    }
    const elapsed = performance.now() - started;
    const { p50, p99 } = summarize(latencies);
    console.log(
      `${name.padEnd(34)} ${((elapsed / resolves) * 1000).toFixed(1).padStart(7)} µs/call` +
        `  p50 ${(p50 * 1000).toFixed(1)} µs  p99 ${(p99 * 1000).toFixed(1)} µs`,
    );
  };
  console.log(`${sessionCount} sessions in the store, ${resolves} resolves`);
  await measure('in-memory Map (sha256 + get)', (token) =>
    memory.get(createHash('sha256').update(token).digest('hex')),
  );
  await measure('store (get + open + parse)', (token) => sessions.resolve(token));
  clock.now += MAX_REFRESH_INTERVAL_MS;
  const started = performance.now();
  const revision = await t.store.revision();
  for (const { token } of opened) await sessions.resolve(token);
  const writes = (await t.store.revision()) - revision;
  const perRefresh = (performance.now() - started) / opened.length;
  console.log(`after ${MAX_REFRESH_INTERVAL_MS / 1000} s: ${writes} refreshes, ${perRefresh.toFixed(2)} ms each`);
  sessions.stop();
} finally {
  await t.close();
}
