import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (standard alphabet, padded), as the API and CloudHSM CLI take it. */
export function decodeBase64(value: string, option: string): Buffer {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact))
    throw new CliError('INVALID_ARGUMENT', `${option} must be base64 (standard alphabet, padded)`);
  return Buffer.from(compact, 'base64');
}

export function optionalBase64(value: string | undefined, option: string): Buffer | undefined {
  return value === undefined ? undefined : decodeBase64(value, option);
}

/** The input of a crypto command: exactly one of a file (raw bytes) or base64 on the command line. */
export async function readDataInput(
  options: { readonly data?: string; readonly dataPath?: string },
  names: { readonly data: string; readonly path: string } = { data: '--data', path: '--data-path' },
  read: (path: string) => Promise<Buffer> = (path) => readFile(path),
): Promise<Buffer> {
  if (options.data !== undefined && options.dataPath !== undefined) {
    throw new CliError('INVALID_ARGUMENT', `give either ${names.path} or ${names.data}, not both`);
  }
  if (options.dataPath !== undefined) {
    try {
      return await read(options.dataPath);
    } catch (error) {
      throw new CliError(
        'FILE_ERROR',
        `cannot read ${options.dataPath}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (options.data !== undefined) return decodeBase64(options.data, names.data);
  throw new CliError('MISSING_ARGUMENT', `give ${names.path} FILE or ${names.data} BASE64`);
}

export function parseInteger(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError('INVALID_ARGUMENT', `${option} must be a whole number`);
  const number = Number(value);
  if (number < min || number > max)
    throw new CliError('INVALID_ARGUMENT', `${option} must be between ${min} and ${max}`);
  return number;
}
