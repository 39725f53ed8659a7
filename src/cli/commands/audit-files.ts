import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Checkpoint } from '../../audit/checkpoint.js';
import { verifyExport, type VerifyOptions, type VerifyReport } from '../../audit/verify.js';
import { CliError } from '../errors.js';
import { parseInteger } from '../data-input.js';
import { keyValues } from '../output.js';
import { execute, withAuthOptions, withCommonOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

interface ExportOptions extends AuthOptions {
  path?: string;
  after?: string;
  checkpoint?: boolean;
}

/** The verdict of `audit verify`, as an error with a code when the chain is broken. */
class AuditChainBroken extends Error {
  readonly code = 'AUDIT_CHAIN_BROKEN';
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError('FILE_ERROR', `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * A checkpoint kept off the node: as `coffer audit checkpoint --json` writes it (the CLI's
 * {"error_code": 0, "data": …}) or bare. Its shape and signature are checked by verify.
 */
async function readAnchor(path: string): Promise<Checkpoint> {
  let value: unknown;
  try {
    value = JSON.parse(await readText(path));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('INVALID_ARGUMENT', `--anchor ${path} is not JSON`);
  }
  const data = typeof value === 'object' && value !== null && 'data' in value ? value.data : value;
  return data as Checkpoint;
}

function describe(report: VerifyReport): string {
  const range = report.events > 0 ? ` (seq ${report.firstSeq}–${report.lastSeq})` : '';
  const lines = keyValues([
    ['cluster', report.clusterId],
    ['audit key', report.keyId],
    ['events', `${report.events}${range}`],
    ['checkpoints', report.checkpoints],
    ['last signed seq', report.lastCheckpointSeq],
    ...(report.anchoredSeq !== undefined ? [['anchored at seq', report.anchoredSeq] as const] : []),
  ]);
  const tail =
    report.unsignedTail > 0
      ? `\nwarning: the last ${report.unsignedTail} events are chained but after the last checkpoint (not signed)`
      : '';
  return `audit chain intact\n${lines}${tail}`;
}

/** `audit export` (through a node) and `audit verify` (offline: no node needed). */
export function registerAuditFileCommands(audit: Command, ctx: CliContext): void {
  withAuthOptions(audit.command('export').description('export the audit log as JSON lines, with checkpoints (admin)'))
    .requiredOption('--path <file>', 'write the export to this file')
    .option('--after <seq>', 'export the events after this sequence number (default: all)')
    .option('--no-checkpoint', 'do not sign a checkpoint first (the newest events may then be unsigned)')
    .action((options: ExportOptions) =>
      execute(ctx, options, async () => {
        const start = parseInteger(options.after, '--after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
        const path = resolve(ctx.io.cwd, options.path!);
        return withSession(ctx, options, async (session) => {
          // A checkpoint now covers every event exported, so verify can vouch for all of them.
          if (options.checkpoint !== false) await session.audit.checkpoint();
          const lines: string[] = [];
          let events = 0;
          let after = start;
          for (;;) {
            const page = await session.audit.exportPage(after, 1000);
            const [header, ...body] = page.lines;
            if (lines.length === 0 && header !== undefined) lines.push(header);
            lines.push(...body);
            events += body.filter((line) => line.startsWith('{"type":"event"')).length;
            if (!page.more || page.next === after) break;
            after = page.next;
          }
          await writeFile(path, lines.join('\n') + '\n', { mode: 0o600 });
          return {
            data: { path, events, lines: lines.length, lastSeq: after },
            human: `exported ${events} audit events to ${path}`,
          };
        });
      }),
    );

  withCommonOptions(audit.command('verify').description('verify an audit export offline: hash chain and signatures'))
    .argument('<file>', 'the export (coffer audit export)')
    .option('--public-key <file>', "pin the cluster's audit public key (PEM, from coffer audit public-key)")
    .option(
      '--anchor <file>',
      'a signed checkpoint kept off the node (coffer audit checkpoint --json): the export must reach it',
    )
    .action((file: string, options: { json?: boolean; publicKey?: string; anchor?: string }) =>
      execute(ctx, options, async () => {
        const text = await readText(resolve(ctx.io.cwd, file));
        const verifyOptions: VerifyOptions = {
          ...(options.publicKey && { publicKey: await readText(resolve(ctx.io.cwd, options.publicKey)) }),
          ...(options.anchor && { anchor: await readAnchor(resolve(ctx.io.cwd, options.anchor)) }),
        };
        const report = verifyExport(text, verifyOptions);
        if (report.broken) {
          const { seq, line, reason } = report.broken;
          const where = seq === undefined ? `line ${line}` : `seq ${seq} (line ${line})`;
          throw new AuditChainBroken(`first broken entry: ${where}: ${reason}`);
        }
        return { data: report, human: describe(report) };
      }),
    );
}
