import type { Command } from 'commander';
import type { KeyAttributeChanges } from '../../client/index.js';
import { attributeName, parseBoolean } from '../attributes.js';
import { CliError } from '../errors.js';
import { isEmptyFilter, normalizeId, parseKeyFilter } from '../filters.js';
import { resolveOneKey } from '../key-resolve.js';
import { keyHuman, keyJson } from '../key-view.js';
import { execute, loginOnly, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

interface FilterOptions extends AuthOptions {
  filter: string[];
}

/** `--name`/`--value` of `key set-attribute` (CloudHSM's spelling) as a PATCH body. */
export function attributeChange(name: string, value: string): KeyAttributeChanges {
  switch (name.toLowerCase()) {
    case 'label':
      return { label: value };
    case 'id':
      return { id: normalizeId(value) };
    case 'start-date':
      return { startDate: value === '' ? null : value };
    case 'end-date':
      return { endDate: value === '' ? null : value };
  }
  const api = attributeName(name);
  if (api === undefined) throw new CliError('INVALID_ARGUMENT', `--name: unknown attribute "${name}"`);
  return { attributes: { [api]: parseBoolean(value, `--value for ${name}`) } };
}

function requireFilter(terms: readonly string[]): ReturnType<typeof parseKeyFilter> {
  const filter = parseKeyFilter(terms);
  if (isEmptyFilter(filter)) throw new CliError('MISSING_ARGUMENT', '--filter is required');
  return filter;
}

/** key set-attribute, key share, key unshare and key alias create|list|delete. */
export function registerKeyAdminCommands(key: Command, ctx: CliContext): void {
  withAuthOptions(key.command('set-attribute').description('change one attribute of the key a filter selects'))
    .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
    .requiredOption('--name <attribute>', 'e.g. label, id, start-date, end-date, encrypt, sensitive, trusted')
    .requiredOption('--value <value>', 'true|false for flags; YYYY-MM-DD (or "" to clear) for dates')
    .action((options: FilterOptions & { name: string; value: string }) =>
      execute(ctx, options, async () => {
        const filter = requireFilter(options.filter);
        const change = attributeChange(options.name, options.value);
        return withSession(ctx, options, async (session) => {
          const target = await resolveOneKey(session, filter);
          const changed = await session.setKeyAttributes(target.handle, change);
          return { data: { message: 'Attribute set successfully', key: keyJson(changed) }, human: keyHuman(changed) };
        });
      }),
    );

  for (const [verb, description] of [
    ['share', 'share the key a filter selects with another crypto user'],
    ['unshare', 'stop sharing the key a filter selects with a user'],
  ] as const) {
    withAuthOptions(key.command(verb).description(description), true)
      .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
      .requiredOption('--username <name>', `the user to ${verb} the key with`)
      .option('--role <role>', "the user's role (CloudHSM CLI compatibility): crypto-user", 'crypto-user')
      .action((options: FilterOptions & { username: string; role: string }) =>
        execute(ctx, options, async () => {
          if (options.role !== 'crypto-user')
            throw new CliError('INVALID_ARGUMENT', 'keys are shared only with crypto users');
          const filter = requireFilter(options.filter);
          return withSession(ctx, loginOnly(options), async (session) => {
            const target = await resolveOneKey(session, filter);
            const changed =
              verb === 'share'
                ? await session.shareKey(target.handle, options.username)
                : await session.unshareKey(target.handle, options.username);
            return {
              data: { message: `Key ${verb}d successfully`, key: keyJson(changed) },
              human: `${verb === 'share' ? 'Shared' : 'Unshared'} ${changed.handle} ${verb === 'share' ? 'with' : 'from'} ${options.username}`,
            };
          });
        }),
      );
  }

  const alias = key.command('alias').description('aliases: names for keys, usable as alias/<name>');
  withAuthOptions(alias.command('create').description('name the key a filter selects (or move the name to it)'))
    .requiredOption('--alias-name <name>', 'letters, digits, /, _ and -, at most 64')
    .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
    .action((options: FilterOptions & { aliasName: string }) =>
      execute(ctx, options, async () => {
        const filter = requireFilter(options.filter);
        return withSession(ctx, options, async (session) => {
          const target = await resolveOneKey(session, filter);
          const created = await session.createAlias(options.aliasName, target.handle);
          return {
            data: { alias: created.alias, 'key-reference': created.keyHandle },
            human: `alias/${created.alias} → ${created.keyHandle}`,
          };
        });
      }),
    );
  withAuthOptions(alias.command('list').description('the aliases of keys you can see')).action((options: AuthOptions) =>
    execute(ctx, options, async () =>
      withSession(ctx, options, async (session) => {
        const aliases = await session.listAliases();
        return {
          data: { aliases: aliases.map((item) => ({ alias: item.alias, 'key-reference': item.keyHandle })) },
          human:
            aliases.length === 0
              ? 'No aliases'
              : aliases.map((item) => `alias/${item.alias} → ${item.keyHandle}`).join('\n'),
        };
      }),
    ),
  );
  withAuthOptions(alias.command('delete').description('delete an alias (the key stays)'))
    .requiredOption('--alias-name <name>', 'the alias')
    .action((options: AuthOptions & { aliasName: string }) =>
      execute(ctx, options, async () =>
        withSession(ctx, options, async (session) => {
          await session.deleteAlias(options.aliasName);
          return {
            data: { message: 'Alias deleted successfully', alias: options.aliasName },
            human: `Deleted alias/${options.aliasName}`,
          };
        }),
      ),
    );
}
