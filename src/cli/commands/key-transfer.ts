import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CofferSession, KeyTransferParams } from '../../client/index.js';
import { parseAttributeList } from '../attributes.js';
import { optionalBase64, parseInteger, readDataInput } from '../data-input.js';
import { CliError } from '../errors.js';
import { normalizeId, parseKeyFilter } from '../filters.js';
import { resolveOneKey } from '../key-resolve.js';
import { keyHuman, keyJson } from '../key-view.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

/** CLI mechanism verbs → the node's mechanism names (`key wrap aes-gcm`, `key derive ecdh` …). */
const WRAP_MECHANISMS: Readonly<Record<string, string>> = {
  'aes-key-wrap': 'AES_KEY_WRAP',
  'aes-key-wrap-pad': 'AES_KEY_WRAP_PAD',
  'aes-gcm': 'AES_GCM',
  'rsa-oaep': 'RSA_PKCS_OAEP',
  'rsa-aes': 'RSA_AES_KEY_WRAP',
};
const DERIVE_MECHANISMS: Readonly<Record<string, string>> = {
  ecdh: 'ECDH1_DERIVE',
  hkdf: 'HKDF_DERIVE',
  'sp800-108-counter': 'SP800_108_COUNTER_KDF',
};
/** CloudHSM's --key-type-class values → class and key type. */
const KEY_TYPE_CLASSES: Readonly<Record<string, { class: 'secret' | 'private'; keyType: string }>> = {
  aes: { class: 'secret', keyType: 'aes' },
  'generic-secret': { class: 'secret', keyType: 'generic-secret' },
  'rsa-private': { class: 'private', keyType: 'rsa' },
  'ec-private': { class: 'private', keyType: 'ec' },
  'ed25519-private': { class: 'private', keyType: 'ec-edwards' },
};
const HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

interface ParamOptions extends AuthOptions {
  hashFunction?: string;
  iv?: string;
  aad?: string;
  tagLengthBits?: string;
  salt?: string;
  info?: string;
  kdf?: string;
  kdfLabel?: string;
  context?: string;
  peerPublicKeyPath?: string;
}

interface NewKeyOptions extends ParamOptions {
  label: string;
  id?: string;
  attributes?: string[];
}

function lookup(table: Readonly<Record<string, string>>, verb: string, what: string): string {
  const found = table[verb];
  if (found === undefined)
    throw new CliError('MECHANISM_INVALID', `${what} mechanisms are ${Object.keys(table).join(', ')}`);
  return found;
}

/** The mechanism parameters the flags give (only those given). */
async function params(options: ParamOptions): Promise<KeyTransferParams> {
  const hash = options.hashFunction?.toLowerCase();
  if (hash !== undefined && !(HASHES as readonly string[]).includes(hash))
    throw new CliError('INVALID_ARGUMENT', `--hash-function is one of ${HASHES.join(', ')}`);
  const kdf = options.kdf;
  if (kdf !== undefined && kdf !== 'null' && kdf !== 'x963' && kdf !== 'hkdf')
    throw new CliError('INVALID_ARGUMENT', '--kdf is null, x963 or hkdf');
  const peer = options.peerPublicKeyPath === undefined ? undefined : await peerKey(options.peerPublicKeyPath);
  const entries: [string, unknown][] = [
    ['hash', hash],
    ['kdf', kdf],
    ['publicKey', peer],
    ['iv', optionalBase64(options.iv, '--iv')],
    ['aad', optionalBase64(options.aad, '--aad')],
    ['tagLengthBits', parseInteger(options.tagLengthBits, '--tag-length-bits', 32, 128)],
    ['salt', optionalBase64(options.salt, '--salt')],
    ['info', optionalBase64(options.info, '--info')],
    ['kdfLabel', optionalBase64(options.kdfLabel, '--kdf-label')],
    ['context', optionalBase64(options.context, '--context')],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as KeyTransferParams;
}

/** A peer's public key file: PEM (SPKI) or DER, sent as SPKI DER. */
async function peerKey(file: string): Promise<Buffer> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CliError('FILE_ERROR', `cannot read ${file}: ${error.message}`);
  });
  const text = bytes.toString('utf8');
  if (!text.includes('-----BEGIN')) return bytes;
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

function template(options: NewKeyOptions) {
  const attributes = parseAttributeList(options.attributes);
  return {
    label: options.label,
    ...(options.id === undefined ? {} : { id: normalizeId(options.id) }),
    ...(attributes === undefined ? {} : { attributes }),
  };
}

function filterOf(options: Record<string, string[] | undefined>, names: readonly string[]) {
  const given = names.filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    throw new CliError('MISSING_ARGUMENT', `give one of ${names.map((name) => `--${kebab(name)}`).join(' or ')}`);
  }
  return parseKeyFilter(options[given[0] as string], `--${kebab(given[0] as string)}`);
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

const newKeyOutcome = (key: Awaited<ReturnType<CofferSession['getKey']>>) => ({
  data: { key: keyJson(key) },
  human: keyHuman(key),
});

function withParamOptions(command: Command): Command {
  return withAuthOptions(command)
    .option('--hash-function <hash>', 'OAEP / HKDF / KDF hash: sha1, sha224, sha256, sha384, sha512')
    .option('--iv <base64>', 'AES-GCM IV')
    .option('--aad <base64>', 'AES-GCM additional data')
    .option('--tag-length-bits <n>', 'AES-GCM tag length');
}

/** `key import pem`, `key wrap`, `key unwrap`, `key derive`. */
export function registerKeyTransferCommands(key: Command, ctx: CliContext): void {
  withAuthOptions(
    key
      .command('import')
      .command('pem')
      .description('import a public key (or, where allowed, a private key) from a PEM file'),
  )
    .requiredOption('--path <file>', 'the PEM file')
    .requiredOption('--label <label>', 'label of the imported key')
    .option('--id <hex>', 'CKA_ID, hex')
    .option('--attributes <attrs...>', 'attributes, e.g. verify=true')
    .action((options: NewKeyOptions & { path: string }) =>
      execute(ctx, options, async () => {
        const pem = await readFile(path.resolve(ctx.io.cwd, options.path), 'utf8').catch((error: Error) => {
          throw new CliError('FILE_ERROR', `cannot read ${options.path}: ${error.message}`);
        });
        const fields = template(options);
        return withSession(ctx, options, async (session) => newKeyOutcome(await session.importKey({ pem, ...fields })));
      }),
    );

  withParamOptions(
    key
      .command('wrap')
      .description('wrap an extractable key under a wrapping key')
      .argument('<mechanism>', Object.keys(WRAP_MECHANISMS).join(' | ')),
  )
    .option('--payload-filter <terms...>', 'the key to wrap (key-reference=0x… or attr.NAME=VALUE)')
    .option('--key-filter <terms...>', 'same as --payload-filter')
    .option('--wrapping-filter <terms...>', 'the wrapping key')
    .option('--wrapping-key-filter <terms...>', 'same as --wrapping-filter')
    .option('--path <file>', 'write the wrapped key (raw bytes) to this file instead of printing it')
    .action((verb: string, options: ParamOptions & Record<string, string[] | undefined> & { path?: string }) =>
      execute(ctx, options, async () => {
        const mechanism = lookup(WRAP_MECHANISMS, verb, 'wrap');
        const payloadFilter = filterOf(options, ['payloadFilter', 'keyFilter']);
        const wrappingFilter = filterOf(options, ['wrappingFilter', 'wrappingKeyFilter']);
        const given = await params(options);
        return withSession(ctx, options, async (session) => {
          const payload = await resolveOneKey(session, payloadFilter);
          const wrapping = await resolveOneKey(
            session,
            wrappingFilter,
            mechanism === 'RSA_AES_KEY_WRAP' || mechanism === 'RSA_PKCS_OAEP' ? 'public' : 'secret',
          );
          const wrapped = await session.wrapKey({
            ...given,
            mechanism,
            keyHandle: payload.handle,
            wrappingKeyHandle: wrapping.handle,
          });
          const refs = { 'payload-key-reference': payload.handle, 'wrapping-key-reference': wrapping.handle };
          if (options.path !== undefined) {
            const file = path.resolve(ctx.io.cwd, options.path);
            await writeFile(file, wrapped, { mode: 0o600 });
            return { data: { ...refs, 'wrapped-key-path': file }, human: `Wrote the wrapped key to ${file}` };
          }
          const b64 = wrapped.toString('base64');
          return { data: { ...refs, 'wrapped-key-data': b64 }, human: b64 };
        });
      }),
    );

  withParamOptions(
    key
      .command('unwrap')
      .description('unwrap a key into the cluster')
      .argument('<mechanism>', Object.keys(WRAP_MECHANISMS).join(' | ')),
  )
    .option('--filter <terms...>', 'the unwrapping key (key-reference=0x… or attr.NAME=VALUE)')
    .option('--unwrapping-key-filter <terms...>', 'same as --filter')
    .option('--data-path <file>', 'the wrapped key, raw bytes from a file')
    .option('--data <base64>', 'the wrapped key, base64')
    .requiredOption('--key-type-class <type>', Object.keys(KEY_TYPE_CLASSES).join(' | '))
    .requiredOption('--label <label>', 'label of the unwrapped key')
    .option('--id <hex>', 'CKA_ID, hex')
    .option('--attributes <attrs...>', 'attributes of the unwrapped key, e.g. decrypt=true')
    .action(
      (
        verb: string,
        options: NewKeyOptions & Record<string, unknown> & { keyTypeClass: string; data?: string; dataPath?: string },
      ) =>
        execute(ctx, options, async () => {
          const mechanism = lookup(WRAP_MECHANISMS, verb, 'wrap');
          const typeClass = KEY_TYPE_CLASSES[options.keyTypeClass];
          if (!typeClass)
            throw new CliError(
              'INVALID_ARGUMENT',
              `--key-type-class is one of ${Object.keys(KEY_TYPE_CLASSES).join(', ')}`,
            );
          const filter = filterOf(options as Record<string, string[] | undefined>, ['filter', 'unwrappingKeyFilter']);
          const wrappedKey = await readDataInput(options);
          const given = await params(options);
          const fields = template(options);
          return withSession(ctx, options, async (session) => {
            const unwrapping = await resolveOneKey(
              session,
              filter,
              mechanism === 'RSA_AES_KEY_WRAP' || mechanism === 'RSA_PKCS_OAEP' ? 'private' : 'secret',
            );
            return newKeyOutcome(
              await session.unwrapKey({
                ...given,
                ...fields,
                ...typeClass,
                mechanism,
                wrappedKey,
                unwrappingKeyHandle: unwrapping.handle,
              }),
            );
          });
        }),
    );

  withParamOptions(
    key
      .command('derive')
      .description('derive a secret key from a base key')
      .argument('<mechanism>', Object.keys(DERIVE_MECHANISMS).join(' | ')),
  )
    .requiredOption('--base-key-filter <terms...>', 'the base key (ECDH: your EC private key)')
    .option('--peer-public-key-path <file>', 'ECDH: the other party’s public key, PEM or DER')
    .option('--kdf <kdf>', 'ECDH: null, x963 or hkdf')
    .option('--salt <base64>', 'HKDF salt')
    .option('--info <base64>', 'HKDF info')
    .option('--kdf-label <base64>', 'SP 800-108 Label')
    .option('--context <base64>', 'SP 800-108 Context')
    .option('--key-type <type>', 'aes or generic-secret', 'aes')
    .option('--key-length-bytes <n>', 'length of the derived key', '32')
    .requiredOption('--label <label>', 'label of the derived key')
    .option('--id <hex>', 'CKA_ID, hex')
    .option('--attributes <attrs...>', 'attributes of the derived key, e.g. encrypt=true decrypt=true')
    .action(
      (verb: string, options: NewKeyOptions & { baseKeyFilter: string[]; keyType: string; keyLengthBytes: string }) =>
        execute(ctx, options, async () => {
          const mechanism = lookup(DERIVE_MECHANISMS, verb, 'derive');
          const filter = parseKeyFilter(options.baseKeyFilter, '--base-key-filter');
          const keyLengthBytes = parseInteger(options.keyLengthBytes, '--key-length-bytes', 1, 800) as number;
          const given = await params(options);
          const fields = template(options);
          return withSession(ctx, options, async (session) => {
            const base = await resolveOneKey(session, filter, mechanism === 'ECDH1_DERIVE' ? 'private' : 'secret');
            return newKeyOutcome(
              await session.deriveKey({
                ...given,
                ...fields,
                mechanism,
                keyType: options.keyType,
                keyLengthBytes,
                baseKeyHandle: base.handle,
              }),
            );
          });
        }),
    );
}
