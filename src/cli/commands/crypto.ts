import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CofferSession, SignatureEncoding, SignMechanism } from '../../client/index.js';
import { decodeBase64, optionalBase64, parseInteger, readDataInput } from '../data-input.js';
import { CliError } from '../errors.js';
import { parseKeyFilter } from '../filters.js';
import { resolveOneKey } from '../key-resolve.js';
import { keyValues } from '../output.js';
import { execute, withAuthOptions, withSession, type AuthOptions, type CliContext } from '../run.js';

interface DataOptions extends AuthOptions {
  keyFilter: string[];
  data?: string;
  dataPath?: string;
}

interface SignOptions extends DataOptions {
  hashFunction: string;
  mgf?: string;
  saltLength?: string;
  signatureEncoding?: string;
}

interface SignScheme {
  readonly mechanism: SignMechanism;
  readonly saltLength?: number;
}

/** Maps CloudHSM's mechanism verb and options to the node's mechanism name. */
type SchemeParser = (options: SignOptions) => SignScheme;

function requireSha256(hash: string): void {
  if (hash.toLowerCase() !== 'sha256')
    throw new CliError('MECHANISM_INVALID', `--hash-function ${hash} is not supported (sha256 is)`);
}

const SCHEMES: Readonly<Record<'ecdsa' | 'rsa-pkcs-pss', SchemeParser>> = {
  ecdsa: (options) => {
    requireSha256(options.hashFunction);
    return { mechanism: 'ECDSA_SHA256' };
  },
  'rsa-pkcs-pss': (options) => {
    requireSha256(options.hashFunction);
    if (options.mgf !== undefined && options.mgf.toLowerCase() !== 'mgf1-sha256') {
      throw new CliError('MECHANISM_INVALID', `--mgf ${options.mgf} is not supported (mgf1-sha256 is)`);
    }
    return {
      mechanism: 'SHA256_RSA_PKCS_PSS',
      saltLength: parseInteger(options.saltLength ?? '32', '--salt-length', 0, 1024) as number,
    };
  },
};

function signatureEncoding(value: string | undefined): SignatureEncoding | undefined {
  if (value === undefined) return undefined;
  if (value !== 'der' && value !== 'p1363')
    throw new CliError('INVALID_ARGUMENT', '--signature-encoding must be der or p1363');
  return value;
}

async function writeOutput(ctx: CliContext, file: string, content: Buffer): Promise<string> {
  const resolved = path.resolve(ctx.io.cwd, file);
  await writeFile(resolved, content, { mode: 0o600 });
  return resolved;
}

function withKeyData(command: Command): Command {
  return withAuthOptions(command)
    .requiredOption('--key-filter <terms...>', 'key-reference=0x… or attr.NAME=VALUE terms selecting one key')
    .option('--data-path <file>', 'the input, raw bytes from a file')
    .option('--data <base64>', 'the input, base64');
}

function keyFilterOf(options: DataOptions) {
  return parseKeyFilter(options.keyFilter, '--key-filter');
}

function registerSignVerify(crypto: Command, ctx: CliContext): void {
  const sign = crypto.command('sign').description('sign with a private key');
  const verify = crypto.command('verify').description('verify with a public key');
  for (const [name, parseScheme] of Object.entries(SCHEMES)) {
    const withSchemeOptions = (command: Command) => {
      withKeyData(command)
        .requiredOption('--hash-function <hash>', 'sha256')
        .option('--signature-encoding <encoding>', 'der or p1363 (r||s)');
      if (name === 'rsa-pkcs-pss')
        command
          .option('--mgf <mgf>', 'mgf1-sha256', 'mgf1-sha256')
          .option('--salt-length <n>', 'salt length in bytes', '32');
      return command;
    };

    withSchemeOptions(sign.command(name).description(`sign with ${name}`))
      .option('--signature-path <file>', 'write the raw signature to this file instead of printing it')
      .action((options: SignOptions & { signaturePath?: string }) =>
        execute(ctx, options, async () => {
          const scheme = parseScheme(options);
          const encoding = signatureEncoding(options.signatureEncoding);
          const data = await readDataInput(options);
          const filter = keyFilterOf(options);
          return withSession(ctx, options, async (session) => {
            const key = await resolveOneKey(session, filter, 'private');
            const signature = await session.sign({
              keyHandle: key.handle,
              data,
              ...scheme,
              ...(encoding ? { signatureEncoding: encoding } : {}),
            });
            if (options.signaturePath !== undefined) {
              const file = await writeOutput(ctx, options.signaturePath, signature);
              return {
                data: { 'key-reference': key.handle, 'signature-path': file },
                human: `Wrote the signature to ${file}`,
              };
            }
            const b64 = signature.toString('base64');
            return {
              data: { 'key-reference': key.handle, signature: b64 },
              human: keyValues([
                ['key-reference', key.handle],
                ['signature', b64],
              ]),
            };
          });
        }),
      );

    withSchemeOptions(verify.command(name).description(`verify a ${name} signature`))
      .option('--signature <base64>', 'the signature, base64')
      .option('--signature-path <file>', 'the signature, raw bytes from a file')
      .action((options: SignOptions & { signature?: string; signaturePath?: string }) =>
        execute(ctx, options, async () => {
          const scheme = parseScheme(options);
          const encoding = signatureEncoding(options.signatureEncoding);
          const data = await readDataInput(options);
          const signature = await readDataInput(
            { data: options.signature, dataPath: options.signaturePath },
            { data: '--signature', path: '--signature-path' },
          );
          const filter = keyFilterOf(options);
          return withSession(ctx, options, async (session) => {
            const key = await resolveOneKey(session, filter, 'public');
            const valid = await session.verify({
              keyHandle: key.handle,
              data,
              signature,
              ...scheme,
              ...(encoding ? { signatureEncoding: encoding } : {}),
            });
            if (!valid) throw new CliError('SIGNATURE_INVALID', 'The signature does not verify');
            return {
              data: { message: 'Signature verified successfully', 'key-reference': key.handle },
              human: 'Signature verified successfully',
            };
          });
        }),
      );
  }
}

function registerAesGcm(crypto: Command, ctx: CliContext): void {
  const encrypt = crypto.command('encrypt').description('encrypt with a secret key');
  const decrypt = crypto.command('decrypt').description('decrypt with a secret key');
  const gcmOptions = (command: Command) =>
    withKeyData(command)
      .option('--aad <base64>', 'additional authenticated data, base64')
      .option('--tag-length-bits <n>', 'the tag length', '128')
      .option('--data-out <file>', 'write the raw output to this file instead of printing it');

  type GcmOptions = DataOptions & { aad?: string; tagLengthBits: string; dataOut?: string; iv?: string };
  const run = (session: CofferSession, options: GcmOptions, direction: 'encrypt' | 'decrypt', data: Buffer) =>
    resolveOneKey(session, keyFilterOf(options), 'secret').then(async (key) => {
      const common = {
        keyHandle: key.handle,
        aad: optionalBase64(options.aad, '--aad'),
        tagLengthBits: parseInteger(options.tagLengthBits, '--tag-length-bits', 32, 128),
      };
      if (direction === 'encrypt') {
        const result = await session.encrypt({ ...common, plaintext: data, iv: optionalBase64(options.iv, '--iv') });
        return { key: key.handle, output: result.ciphertext, iv: result.iv };
      }
      const iv = decodeBase64(options.iv as string, '--iv');
      return { key: key.handle, output: await session.decrypt({ ...common, ciphertext: data, iv }), iv };
    });

  for (const [command, direction] of [
    [
      gcmOptions(encrypt.command('aes-gcm').description('encrypt with AES-GCM')).option(
        '--iv <base64>',
        'a 96-bit IV, base64 (else the node picks one)',
      ),
      'encrypt',
    ],
    [
      gcmOptions(
        decrypt.command('aes-gcm').description('decrypt AES-GCM (data is ciphertext followed by the tag)'),
      ).requiredOption('--iv <base64>', 'the IV, base64'),
      'decrypt',
    ],
  ] as const) {
    command.action((options: GcmOptions) =>
      execute(ctx, options, async () => {
        const data = await readDataInput(options);
        return withSession(ctx, options, async (session) => {
          const result = await run(session, options, direction, data);
          const iv = result.iv.toString('base64');
          const extra = direction === 'encrypt' ? { iv } : {};
          if (options.dataOut !== undefined) {
            const file = await writeOutput(ctx, options.dataOut, result.output);
            return {
              data: { 'key-reference': result.key, 'data-path': file, ...extra },
              human: keyValues([
                ['key-reference', result.key],
                ['data-path', file],
                ['iv', extra.iv],
              ]),
            };
          }
          const b64 = result.output.toString('base64');
          return {
            data: { 'key-reference': result.key, data: b64, ...extra },
            human: keyValues([
              ['key-reference', result.key],
              ['data', b64],
              ['iv', extra.iv],
            ]),
          };
        });
      }),
    );
  }
}

export function registerCryptoCommands(program: Command, ctx: CliContext): void {
  const crypto = program.command('crypto').description('crypto: encrypt, decrypt, sign, verify');
  registerAesGcm(crypto, ctx);
  registerSignVerify(crypto, ctx);
}
