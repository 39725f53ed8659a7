import type { Command } from 'commander';
import type { AuditEvent } from '../../client/index.js';
import { CliError } from '../errors.js';
import { parseInteger } from '../data-input.js';
import { keyValues, table } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';
import { registerAuditFileCommands } from './audit-files.js';

const HEADERS = ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'RESULT'];
const row = (event: AuditEvent) => [
  event.seq,
  event.time,
  event.actor,
  event.action,
  event.target,
  event.code ? `${event.result} ${event.code}` : event.result,
];

interface SearchOptions extends AuthOptions {
  after?: string;
  limit?: string;
  actor?: string;
  action?: string;
  target?: string;
  result?: string;
  since?: string;
  until?: string;
}

interface TailOptions extends AuthOptions {
  after?: string;
  interval?: string;
  duration?: string;
  count?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the audit log');

  withAuthOptions(audit.command('list').description('list audit events (admin)'))
    .option('--after <seq>', 'events after this sequence number')
    .option('--limit <n>', 'at most this many events (1-1000)')
    .action((options: AuthOptions & { after?: string; limit?: string }) =>
      execute(ctx, options, async () => {
        const after = parseInteger(options.after, '--after', 0, Number.MAX_SAFE_INTEGER);
        const limit = parseInteger(options.limit, '--limit', 1, 1000);
        return withSession(ctx, options, async (session) => {
          const page = await session.auditEvents(after, limit);
          const more = page.more ? `\n\nmore events: --after ${page.events.at(-1)?.seq ?? ''}` : '';
          return { data: page, human: table(HEADERS, page.events.map(row)) + more };
        });
      }),
    );

  withAuthOptions(audit.command('search').description('search audit events on the node (admin)'))
    .option('--actor <user>', 'events by this user')
    .option('--action <action>', 'this action, or a prefix ending in * (crypto.*)')
    .option('--target <target>', 'events on this target (key/0x…, user/alice)')
    .option('--result <result>', 'success or failure')
    .option('--since <time>', 'at or after this ISO 8601 time')
    .option('--until <time>', 'at or before this ISO 8601 time')
    .option('--after <seq>', 'search after this sequence number')
    .option('--limit <n>', 'at most this many events (1-1000)')
    .action((options: SearchOptions) =>
      execute(ctx, options, async () => {
        const after = parseInteger(options.after, '--after', 0, Number.MAX_SAFE_INTEGER);
        const limit = parseInteger(options.limit, '--limit', 1, 1000);
        if (options.result !== undefined && options.result !== 'success' && options.result !== 'failure')
          throw new CliError('INVALID_ARGUMENT', '--result must be success or failure');
        const { actor, action, target, since, until } = options;
        const result = options.result as 'success' | 'failure' | undefined;
        return withSession(ctx, options, async (session) => {
          const page = await session.audit.search({ after, limit, actor, action, target, result, since, until });
          const more = page.more ? `\n\nmore events: --after ${page.next}` : '';
          return { data: page, human: table(HEADERS, page.events.map(row)) + more };
        });
      }),
    );

  withAuthOptions(audit.command('tail').description('follow new audit events, polling (admin)'))
    .option('--after <seq>', 'start after this sequence number (default: the last 10 events)')
    .option('--interval <ms>', 'poll every this many milliseconds (100-60000, default 1000)')
    .option('--duration <s>', 'stop after this many seconds (1-86400, default 60)')
    .option('--count <n>', 'stop after this many events')
    .action((options: TailOptions) =>
      execute(ctx, options, async () => {
        const interval = parseInteger(options.interval, '--interval', 100, 60_000) ?? 1000;
        const duration = parseInteger(options.duration, '--duration', 1, 86_400) ?? 60;
        const count = parseInteger(options.count, '--count', 1, Number.MAX_SAFE_INTEGER) ?? Infinity;
        const start = parseInteger(options.after, '--after', 0, Number.MAX_SAFE_INTEGER);
        return withSession(ctx, options, async (session) => {
          let cursor = start ?? Math.max(0, (await session.audit.head()).seq - 10);
          let seen = 0;
          const deadline = Date.now() + duration * 1000;
          while (seen < count && Date.now() < deadline) {
            const page = await session.audit.search({ after: cursor, limit: Math.min(1000, count - seen) });
            for (const event of page.events) {
              ctx.io.writeOut(`${options.json ? JSON.stringify(event) : row(event).join('  ')}\n`);
              cursor = event.seq;
              seen++;
            }
            if (!page.more && seen < count) await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
          }
          return { data: { events: seen, next: cursor }, human: `-- ${seen} events; continue with --after ${cursor}` };
        });
      }),
    );

  withAuthOptions(audit.command('checkpoint').description('sign a checkpoint of the audit chain now (admin)')).action(
    (options: AuthOptions) =>
      execute(ctx, options, async () =>
        withSession(ctx, options, async (session) => {
          const checkpoint = await session.audit.checkpoint();
          return {
            data: checkpoint,
            human: keyValues([
              ['seq', checkpoint.seq],
              ['hash', checkpoint.hash],
              ['time', checkpoint.time],
              ['signature', checkpoint.signature],
            ]),
          };
        }),
      ),
  );

  withAuthOptions(audit.command('public-key').description("print the cluster's audit public key (PEM)")).action(
    (options: AuthOptions) =>
      execute(ctx, options, async () =>
        withSession(ctx, options, async (session) => {
          const key = await session.audit.publicKey();
          return { data: key, human: `${key.pem.trimEnd()}\nkey id: ${key.keyId}` };
        }),
      ),
  );

  withAuthOptions(audit.command('key-usage').description('how often a key was used, over all nodes (owner or admin)'))
    .argument('<handle>', 'the key handle (0x…)')
    .action((handle: string, options: AuthOptions) =>
      execute(ctx, options, async () =>
        withSession(ctx, options, async (session) => {
          const usage = await session.audit.keyUsage(handle);
          const operations = Object.entries(usage.operations).map(([name, n]) => [name, n] as const);
          return { data: usage, human: keyValues([['handle', usage.handle], ['total', usage.total], ...operations]) };
        }),
      ),
    );

  registerAuditFileCommands(audit, ctx);
}
