/**
 * The cluster-wide audit chain under concurrent writers: every node creates durable keys at
 * once, each through its own client pinned to it, so all three record writers race for the
 * one compared audit head. Per node: commits/s, its share, latency and the calls refused (a
 * writer that lost the head MAX_ATTEMPTS times in a row fails with CONFLICT). Then the whole
 * chain is exported through the audit routes and verified as `coffer audit verify` does.
 */
import { summarize } from '../src/bench/stats.js';
import { verifyExport, type VerifyReport } from '../src/audit/verify.js';
import type { CofferSession } from '../src/client/session.js';
import { createStep } from './cluster-measure.js';
import { startOutcomeLoop, type Outcome } from './cluster-outcomes.js';

export interface Writer {
  readonly node: string;
  readonly session: CofferSession;
}

export interface WriterShare {
  readonly node: string;
  readonly commits: number;
  readonly perSecond: number;
  readonly share: number;
  readonly p50: number;
  readonly p99: number;
  readonly refused: Readonly<Record<string, number>>;
}

export interface ContentionResult {
  readonly shares: readonly WriterShare[];
  /** The chain's events from the run on, by the node id each event names as its writer. */
  readonly chainByNode: ReadonlyMap<string, number>;
  readonly verify: VerifyReport;
  readonly headBefore: number;
}

/** The whole chain as `coffer audit export` writes it (a checkpoint first, so all is signed). */
export async function exportChain(admin: CofferSession): Promise<string> {
  await admin.audit.checkpoint();
  const lines: string[] = [];
  let after = 0;
  for (;;) {
    const page = await admin.audit.exportPage(after, 1000);
    const [header, ...body] = page.lines;
    if (lines.length === 0 && header !== undefined) lines.push(header);
    lines.push(...body);
    if (!page.more || page.next === after) break;
    after = page.next;
  }
  return lines.join('\n') + '\n';
}

/** Events after `afterSeq`, counted by the node that wrote them. */
function eventsByNode(text: string, afterSeq: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"type":"event"')) continue;
    const { event } = JSON.parse(line) as { event: { seq: number; node: string } };
    if (event.seq > afterSeq) counts.set(event.node, (counts.get(event.node) ?? 0) + 1);
  }
  return counts;
}

export async function measureContention(
  writers: readonly Writer[],
  admin: CofferSession,
  seconds: number,
  concurrency: number,
): Promise<ContentionResult> {
  const headBefore = (await admin.audit.head()).seq;
  const loops = writers.map((writer) =>
    startOutcomeLoop(concurrency, createStep(writer.session, `chain-${writer.node}`)),
  );
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await Promise.all(loops.map((loop) => loop.stop()));
  const text = await exportChain(admin);
  const chain = eventsByNode(text, headBefore);
  const totals = loops.map((loop) => loop.outcomes.filter((outcome) => outcome.error === undefined).length);
  const all = totals.reduce((sum, count) => sum + count, 0);
  const shares = writers.map((writer, index): WriterShare => {
    const outcomes: readonly Outcome[] = loops[index]!.outcomes;
    const ok = outcomes.filter((outcome) => outcome.error === undefined);
    const latency = summarize(ok.map((outcome) => outcome.ended - outcome.began));
    const refused: Record<string, number> = {};
    for (const { error } of outcomes) if (error !== undefined) refused[error] = (refused[error] ?? 0) + 1;
    return {
      node: writer.node,
      commits: ok.length,
      perSecond: ok.length / seconds,
      share: all === 0 ? 0 : ok.length / all,
      p50: latency.p50,
      p99: latency.p99,
      refused,
    };
  });
  return { shares, chainByNode: chain, verify: verifyExport(text), headBefore };
}

export function describeVerify(report: VerifyReport): string {
  if (!report.ok || report.broken)
    return `BROKEN at seq ${report.broken?.seq ?? '?'} (line ${report.broken?.line ?? '?'}): ${report.broken?.reason ?? 'unknown'}`;
  return `intact: ${report.events} events, seq ${report.firstSeq ?? 0}..${report.lastSeq ?? 0} gap-free, ${report.checkpoints} signed checkpoints, unsigned tail ${report.unsignedTail}`;
}

export function printContention(result: ContentionResult, concurrency: number): void {
  console.log(`\n3. The audit chain under three concurrent writers (${concurrency} key creations in flight per node)`);
  console.log(
    `${'node'.padEnd(12)} ${'commits'.padStart(8)} ${'per s'.padStart(7)} ${'share'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  refused`,
  );
  for (const share of result.shares)
    console.log(
      [
        share.node.padEnd(12),
        String(share.commits).padStart(8),
        share.perSecond.toFixed(0).padStart(7),
        `${(share.share * 100).toFixed(0)}%`.padStart(6),
        share.p50.toFixed(1).padStart(8),
        share.p99.toFixed(1).padStart(8),
        ` ${JSON.stringify(share.refused)}`,
      ].join(' '),
    );
  const least = Math.min(...result.shares.map((share) => share.share));
  console.log(`fewest commits: ${(least * 100).toFixed(0)}% of all (a fair share is 33%)`);
  const byNode = [...result.chainByNode].map(([node, count]) => `${node} ${count}`).join(', ');
  console.log(`chain events since seq ${result.headBefore}, by writer: ${byNode}`);
  console.log(`chain after the run: ${describeVerify(result.verify)}`);
}
