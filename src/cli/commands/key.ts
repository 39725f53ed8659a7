import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { GenerateKeyPairRequest, KeyPair } from '../../client/index.js';
import { parseAttributeList } from '../attributes.js';
import { parseInteger } from '../data-input.js';
import { CliError } from '../errors.js';
import { isEmptyFilter, normalizeId, parseKeyFilter } from '../filters.js';
import { findKeys, resolveOneKey } from '../key-resolve.js';
import { keyHuman, keyJson, keysTable } from '../key-view.js';
import { registerKeyAdminCommands } from './key-admin.js';
import type { Outcome } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';
import { registerKeyTransferCommands } from './key-transfer.js';

interface TemplateOptions extends AuthOptions {
  label?: string;
  id?: string;
}

interface PairOptions extends TemplateOptions {
  publicLabel?: string;
  privateLabel?: string;
  publicAttributes?: string[];
  privateAttributes?: string[];
}

const DEFAULT_MAX_ITEMS = 10;

function pairOutcome(pair: KeyPair): Outcome {
  return {
    data: { public_key: keyJson(pair.publicKey), private_key: keyJson(pair.privateKey) },
    human: `Public key\n${keyHuman(pair.publicKey)}\n\nPrivate key\n${keyHuman(pair.privateKey)}`,
  };
}

/** The label/id/attribute part of a pair request, from the shared flags. */
function pairTemplate(options: PairOptions): Omit<GenerateKeyPairRequest, 'keyType' | 'curve' | 'modulusBits'> {
  const publicAttributes = parseAttributeList(options.publicAttributes, '--public-attributes');
  const privateAttributes = parseAttributeList(options.privateAttributes, '--private-attributes');
  const label = options.label;
  if (label === undefined && (options.publicLabel === undefined || options.privateLabel === undefined)) {
    throw new CliError('MISSING_ARGUMENT', 'give --public-label and --private-label, or --label for both');
  }
  return {
    ...(label === undefined ? {} : { label }),
    ...(options.publicLabel === undefined ? {} : { publicLabel: options.publicLabel }),
    ...(options.privateLabel === undefined ? {} : { privateLabel: options.privateLabel }),
    ...(options.id === undefined ? {} : { id: normalizeId(options.id) }),
    ...(publicAttributes === undefined ? {} : { publicAttributes }),
    ...(privateAttributes === undefined ? {} : { privateAttributes }),
  };
}

function withPairOptions(command: Command): Command {
  return withAuthOptions(command)
    .option('--public-label <label>', 'label of the public key')
    .option('--private-label <label>', 'label of the private key')
    .option('--label <label>', 'label of both keys')
    .option('--id <hex>', 'CKA_ID of both keys, hex')
    .option('--public-attributes <attrs...>', 'public key attributes, e.g. verify=true')
    .option('--private-attributes <attrs...>', 'private key attributes, e.g. sign=true extractable=false');
}

export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('keys: generate, list, delete, export public keys');
  registerKeyAdminCommands(key, ctx);
  registerKeyTransferCommands(key, ctx);

  const symmetric = key.command('generate-symmetric').description('generate a secret key');
  withAuthOptions(symmetric.command('aes').description('generate an AES key'))
    .option('--key-length-bytes <n>', '16, 24 or 32', '32')
    .requiredOption('--label <label>', 'the key label')
    .option('--id <hex>', 'CKA_ID, hex')
    .option('--attributes <attrs...>', 'attributes, e.g. encrypt=true decrypt=true extractable=false')
    .action((options: TemplateOptions & { keyLengthBytes: string; attributes?: string[] }) =>
      execute(ctx, options, async () => {
        const keyLengthBytes = parseInteger(options.keyLengthBytes, '--key-length-bytes', 1, 1024) as number;
        const attributes = parseAttributeList(options.attributes);
        return withSession(ctx, options, async (session) => {
          const created = await session.generateSymmetricKey({
            keyType: 'aes',
            keyLengthBytes,
            label: options.label as string,
            ...(options.id === undefined ? {} : { id: normalizeId(options.id) }),
            ...(attributes === undefined ? {} : { attributes }),
          });
          return { data: { key: keyJson(created) }, human: keyHuman(created) };
        });
      }),
    );

  const pair = key.command('generate-asymmetric-pair').description('generate a public/private key pair');
  withPairOptions(pair.command('ec').description('generate an EC key pair'))
    .requiredOption('--curve <curve>', 'the curve, e.g. secp256r1 or secp384r1')
    .action((options: PairOptions & { curve: string }) =>
      execute(ctx, options, async () => {
        const template = pairTemplate(options);
        return withSession(ctx, options, async (session) =>
          pairOutcome(await session.generateKeyPair({ keyType: 'ec', curve: options.curve, ...template })),
        );
      }),
    );
  withPairOptions(pair.command('rsa').description('generate an RSA key pair'))
    .requiredOption('--modulus-size-bits <n>', 'e.g. 2048, 3072, 4096')
    .option('--public-exponent <n>', 'the public exponent', '65537')
    .action((options: PairOptions & { modulusSizeBits: string; publicExponent: string }) =>
      execute(ctx, options, async () => {
        const template = pairTemplate(options);
        const modulusBits = parseInteger(options.modulusSizeBits, '--modulus-size-bits', 512, 16384) as number;
        const publicExponent = parseInteger(options.publicExponent, '--public-exponent', 3, 2 ** 32) as number;
        return withSession(ctx, options, async (session) =>
          pairOutcome(await session.generateKeyPair({ keyType: 'rsa', modulusBits, publicExponent, ...template })),
        );
      }),
    );

  withAuthOptions(key.command('list').description('list the keys you own, share, and all public keys'))
    .option(
      '--filter <terms...>',
      'key-reference=0x… or attr.NAME=VALUE terms, e.g. attr.label=L attr.class=private-key',
    )
    .option('--max-items <n>', 'at most this many keys; a next_token says there are more', String(DEFAULT_MAX_ITEMS))
    .option('--starting-token <token>', 'the next_token of a previous page')
    .option('-v, --verbose', 'all attributes of every key')
    .action(
      (options: AuthOptions & { filter?: string[]; maxItems: string; startingToken?: string; verbose?: boolean }) =>
        execute(ctx, options, async () => {
          const filter = parseKeyFilter(options.filter);
          const maxItems = parseInteger(options.maxItems, '--max-items', 1, 10_000) as number;
          return withSession(ctx, options, async (session) => {
            const found = await findKeys(session, filter, maxItems, options.startingToken);
            const verbose = options.verbose === true;
            return {
              data: {
                matched_keys: found.keys.map((item) => keyJson(item, verbose)),
                returned_key_count: found.keys.length,
                ...(found.nextToken === undefined ? {} : { next_token: found.nextToken }),
              },
              human:
                (verbose ? found.keys.map(keyHuman).join('\n\n') : keysTable(found.keys)) +
                (found.nextToken === undefined ? '' : `\n\nmore keys: --starting-token ${found.nextToken}`),
            };
          });
        }),
    );

  withAuthOptions(key.command('delete').description('delete the one key a filter selects'))
    .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
    .action((options: AuthOptions & { filter: string[] }) =>
      execute(ctx, options, async () => {
        const filter = parseKeyFilter(options.filter);
        if (isEmptyFilter(filter)) throw new CliError('MISSING_ARGUMENT', '--filter is required');
        return withSession(ctx, options, async (session) => {
          const target = await resolveOneKey(session, filter);
          await session.deleteKey(target.handle);
          return {
            data: { message: 'Key deleted successfully', 'key-reference': target.handle },
            human: `Deleted key ${target.handle}`,
          };
        });
      }),
    );

  withAuthOptions(key.command('rotate').description('rotate the one key a filter selects: new material, a new version'))
    .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
    .action((options: AuthOptions & { filter: string[] }) =>
      execute(ctx, options, async () => {
        const filter = parseKeyFilter(options.filter);
        if (isEmptyFilter(filter)) throw new CliError('MISSING_ARGUMENT', '--filter is required');
        return withSession(ctx, options, async (session) => {
          const target = await resolveOneKey(session, filter);
          const rotated = await session.rotateKey(target.handle);
          return {
            data: { 'key-reference': rotated.handle, version: rotated.version },
            human: `Rotated key ${rotated.handle}: now version ${rotated.version}`,
          };
        });
      }),
    );

  withAuthOptions(
    key.command('generate-file').description('write the public key of the key a filter selects to a file'),
  )
    .requiredOption('--encoding <encoding>', 'pem')
    .requiredOption('--path <file>', 'the file to write')
    .requiredOption('--filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms')
    .action((options: AuthOptions & { encoding: string; path: string; filter: string[] }) =>
      execute(ctx, options, async () => {
        if (options.encoding !== 'pem') throw new CliError('INVALID_ARGUMENT', '--encoding must be pem');
        const filter = parseKeyFilter(options.filter);
        if (isEmptyFilter(filter)) throw new CliError('MISSING_ARGUMENT', '--filter is required');
        return withSession(ctx, options, async (session) => {
          const target = await resolvePublicSide(session, filter);
          const pem = await session.exportPublicKey(target);
          const file = path.resolve(ctx.io.cwd, options.path);
          await writeFile(file, pem, { mode: 0o644 });
          return {
            data: { message: 'Successfully generated key file', 'key-reference': target, path: file },
            human: `Wrote ${file}`,
          };
        });
      }),
    );
}

/** A filter naming no class prefers the public key (a pair often shares one label). */
async function resolvePublicSide(
  session: Parameters<typeof resolveOneKey>[0],
  filter: ReturnType<typeof parseKeyFilter>,
): Promise<string> {
  if (filter.class === undefined && filter.keyReference === undefined) {
    try {
      return (await resolveOneKey(session, { ...filter, class: 'public' })).handle;
    } catch (error) {
      if (!(error instanceof CliError && error.code === 'KEY_NOT_FOUND')) throw error;
    }
  }
  return (await resolveOneKey(session, filter)).handle;
}
