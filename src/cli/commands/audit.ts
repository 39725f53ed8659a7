import type { Command } from 'commander';
import { parseInteger } from '../data-input.js';
import { table } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

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
          const rows = page.events.map((event) => [
            event.seq,
            event.time,
            event.actor,
            event.action,
            event.target,
            event.code ? `${event.result} ${event.code}` : event.result,
          ]);
          const more = page.more ? `\n\nmore events: --after ${page.events.at(-1)?.seq ?? ''}` : '';
          return { data: page, human: table(['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'RESULT'], rows) + more };
        });
      }),
    );
}
