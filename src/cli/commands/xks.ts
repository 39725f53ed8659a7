import type { Command } from 'commander';
import type { XksIssuedCredential, XksKeyStore } from '../../client/index.js';
import { parseInteger } from '../data-input.js';
import { keyValues, table } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';
import { writeJsonFile } from '../token-files.js';

interface StoreOptions extends AuthOptions {
  id: string;
}

interface CreateOptions extends StoreOptions {
  user: string;
  pathPrefix?: string;
  region?: string;
  tlsClientSubject?: string;
  awsConfigFile?: string;
}

const storeRows = (store: XksKeyStore) =>
  keyValues([
    ['id', store.id],
    ['uri-path', store.uriPath],
    ['user', store.user],
    ['region', store.region ?? '(any)'],
    ['tls-client-subject', store.tlsClientSubject ?? '(none)'],
    ['access-key-ids', store.accessKeyIds.join(', ')],
    ['keys', store.keys],
    ['created', `${store.createdAt} by ${store.createdBy}`],
  ]);

/**
 * A new credential's secret, shown once: written to the AWS KMS console's file (0600) when
 * --aws-config-file is given, and then left out of the output; printed otherwise.
 */
async function credentialOutcome(
  ctx: CliContext,
  issued: XksIssuedCredential,
  file: string | undefined,
): Promise<{ data: Record<string, unknown>; human: string }> {
  const { accessKeyId, secretAccessKey } = issued.credential;
  if (file !== undefined) {
    await writeJsonFile(ctx.io, file, issued.awsConfiguration);
    return {
      data: { accessKeyId, awsConfigFile: file },
      human: `access key id ${accessKeyId}; the secret and the URI path are in ${file} (for the AWS KMS console)`,
    };
  }
  return {
    data: { ...issued },
    human: keyValues([
      ['access-key-id', accessKeyId],
      ['secret-access-key', secretAccessKey],
      ['note', 'the secret is shown only now: give it to AWS KMS, keep it nowhere else'],
    ]),
  };
}

/**
 * `coffer xks …`: the XKS key stores through which AWS KMS uses keys of this cluster as an
 * external key store (docs/integrations/xks.md). Admin commands.
 */
export function registerXksCommands(program: Command, ctx: CliContext): void {
  const xks = program.command('xks').description('XKS key stores: AWS KMS external key stores served by Coffer');
  const store = xks.command('store').description('key stores: create, list, describe, delete');
  const credential = xks.command('credential').description("a key store's SigV4 credentials (rotation)");
  const key = xks.command('key').description('the keys a key store exposes');

  withAuthOptions(store.command('create').description('create a key store; prints its first SigV4 credential once'))
    .requiredOption('--id <id>', 'the key store id (letters, digits, - and _)')
    .requiredOption('--user <user>', 'the crypto user the store acts as')
    .option('--path-prefix <prefix>', 'its URI path prefix (default /keystores/<id>; "" for none)')
    .option('--region <region>', 'accept only SigV4 scopes of this AWS region')
    .option('--tls-client-subject <cn>', 'require a TLS client certificate with this subject CN')
    .option('--aws-config-file <file>', 'write the AWS KMS console file (URI path and credential) here')
    .action((options: CreateOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const created = await session.xks.createKeyStore({
            id: options.id,
            user: options.user,
            ...(options.pathPrefix !== undefined && { pathPrefix: options.pathPrefix }),
            ...(options.region !== undefined && { region: options.region }),
            ...(options.tlsClientSubject !== undefined && { tlsClientSubject: options.tlsClientSubject }),
          });
          const secret = await credentialOutcome(ctx, created, options.awsConfigFile);
          return {
            data: { keyStore: created.keyStore, ...secret.data },
            human: `${storeRows(created.keyStore)}\n${secret.human}`,
          };
        }),
      ),
    );

  withAuthOptions(store.command('list').description('list the key stores')).action((options: AuthOptions) =>
    execute(ctx, options, () =>
      withSession(ctx, options, async (session) => {
        const stores = await session.xks.listKeyStores();
        return {
          data: { keyStores: stores },
          human: table(
            ['ID', 'URI PATH', 'USER', 'KEYS', 'ACCESS KEY IDS'],
            stores.map((entry) => [entry.id, entry.uriPath, entry.user, entry.keys, entry.accessKeyIds.join(',')]),
          ),
        };
      }),
    ),
  );

  withAuthOptions(store.command('describe').description('show a key store'))
    .requiredOption('--id <id>', 'the key store id')
    .action((options: StoreOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const found = await session.xks.describeKeyStore(options.id);
          return { data: { keyStore: found }, human: storeRows(found) };
        }),
      ),
    );

  withAuthOptions(store.command('delete').description('delete a key store (unexpose its keys first)'))
    .requiredOption('--id <id>', 'the key store id')
    .action((options: StoreOptions) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          await session.xks.deleteKeyStore(options.id);
          return { data: { id: options.id }, human: `Deleted key store ${options.id}` };
        }),
      ),
    );

  withAuthOptions(credential.command('add').description('add a second SigV4 credential; prints it once'))
    .requiredOption('--id <id>', 'the key store id')
    .option('--aws-config-file <file>', 'write the AWS KMS console file here')
    .action((options: StoreOptions & { awsConfigFile?: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) =>
          credentialOutcome(ctx, await session.xks.addCredential(options.id), options.awsConfigFile),
        ),
      ),
    );

  withAuthOptions(credential.command('remove').description('remove a SigV4 credential (not the last)'))
    .requiredOption('--id <id>', 'the key store id')
    .requiredOption('--access-key-id <id>', 'the credential to remove')
    .action((options: StoreOptions & { accessKeyId: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          await session.xks.removeCredential(options.id, options.accessKeyId);
          return {
            data: { id: options.id, accessKeyId: options.accessKeyId },
            human: `Removed ${options.accessKeyId}`,
          };
        }),
      ),
    );

  withAuthOptions(key.command('expose').description('expose a key to AWS KMS under an external key id'))
    .requiredOption('--id <id>', 'the key store id')
    .requiredOption('--external-key-id <id>', 'the id AWS KMS will name the key by (CreateKey XksKeyId)')
    .requiredOption('--key-handle <handle>', 'an AES-256 key owned by or shared with the store user')
    .action((options: StoreOptions & { externalKeyId: string; keyHandle: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const exposed = await session.xks.exposeKey(options.id, options.externalKeyId, options.keyHandle);
          return {
            data: { key: exposed },
            human: `Exposed ${exposed.keyHandle} in ${options.id} as ${exposed.externalKeyId}`,
          };
        }),
      ),
    );

  withAuthOptions(key.command('unexpose').description('stop exposing a key'))
    .requiredOption('--id <id>', 'the key store id')
    .requiredOption('--external-key-id <id>', 'the external key id')
    .action((options: StoreOptions & { externalKeyId: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          await session.xks.unexposeKey(options.id, options.externalKeyId);
          return {
            data: { id: options.id, externalKeyId: options.externalKeyId },
            human: `Unexposed ${options.externalKeyId} from ${options.id}`,
          };
        }),
      ),
    );

  withAuthOptions(key.command('list').description("list a key store's exposed keys"))
    .requiredOption('--id <id>', 'the key store id')
    .option('--after <external-key-id>', 'the page after this external key id')
    .option('--limit <n>', 'at most this many (1-1000)')
    .action((options: StoreOptions & { after?: string; limit?: string }) =>
      execute(ctx, options, () =>
        withSession(ctx, options, async (session) => {
          const limit = parseInteger(options.limit, '--limit', 1, 1000);
          const page = await session.xks.listExposedKeys(options.id, {
            ...(options.after !== undefined && { after: options.after }),
            ...(limit !== undefined && { limit }),
          });
          const more = page.next === undefined ? '' : `\n\nmore keys: --after ${page.next}`;
          return {
            data: page,
            human:
              table(
                ['EXTERNAL KEY ID', 'KEY', 'EXPOSED', 'BY'],
                page.keys.map((entry) => [entry.externalKeyId, entry.keyHandle, entry.exposedAt, entry.exposedBy]),
              ) + more,
          };
        }),
      ),
    );
}
