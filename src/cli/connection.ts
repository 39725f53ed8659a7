import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CofferClientOptions } from '../client/index.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

export interface ConnectionFlags {
  /** `--endpoint`, given once with commas or repeated; `URL#zone` names a node's zone. */
  readonly endpoint?: string | readonly string[];
  /** The client's zone: its nodes first. */
  readonly zone?: string;
  /** Also use the nodes the endpoints list (GET /v1/cluster/nodes). */
  readonly discover?: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly config?: string;
}

/** Where to connect and with which files (absolute paths). */
export interface ConnectionSettings {
  readonly endpoints: string[];
  readonly zone?: string;
  readonly discover?: boolean;
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The client config file that contributed, if any. */
  readonly configFile?: string;
}

interface ConfigFile {
  endpoints?: string[];
  zone?: string;
  discover?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** `--config`, else COFFER_CONFIG, else $COFFER_DATA_DIR/client.json, else ./.coffer/client.json (the last two when present). */
export function findConfigFile(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'cwd'>): string | undefined {
  if (flags.config !== undefined) return path.resolve(io.cwd, flags.config);
  const fromEnv = io.env.COFFER_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(io.cwd, fromEnv);
  const dataDir = io.env.COFFER_DATA_DIR;
  if (dataDir !== undefined && dataDir !== '') {
    const candidate = path.resolve(io.cwd, dataDir, 'client.json');
    if (existsSync(candidate)) return candidate;
  }
  const local = path.resolve(io.cwd, '.coffer', 'client.json');
  return existsSync(local) ? local : undefined;
}

function optionalString(value: unknown, field: string, file: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new CliError('CONFIG_INVALID', `${file}: "${field}" must be a non-empty string`);
  return value;
}

export function readConfigFile(file: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      'CONFIG_INVALID',
      `cannot read client config ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError('CONFIG_INVALID', `${file}: a client config is a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const endpoints = record.endpoints;
  if (
    endpoints !== undefined &&
    (!Array.isArray(endpoints) || !endpoints.every((item) => typeof item === 'string' && item !== ''))
  ) {
    throw new CliError('CONFIG_INVALID', `${file}: "endpoints" must be a list of URLs`);
  }
  if (record.discover !== undefined && typeof record.discover !== 'boolean')
    throw new CliError('CONFIG_INVALID', `${file}: "discover" must be true or false`);
  const zone = optionalString(record.zone, 'zone', file);
  const dir = path.dirname(file);
  const rel = (value: string | undefined) => (value === undefined ? undefined : path.resolve(dir, value));
  return {
    ...(endpoints === undefined ? {} : { endpoints: endpoints as string[] }),
    ...(zone === undefined ? {} : { zone }),
    ...(record.discover === undefined ? {} : { discover: record.discover }),
    ...definedOnly({
      caFile: rel(optionalString(record.caFile, 'caFile', file)),
      certFile: rel(optionalString(record.certFile, 'certFile', file)),
      keyFile: rel(optionalString(record.keyFile, 'keyFile', file)),
    }),
  };
}

function definedOnly<T extends Record<string, string | undefined>>(value: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}

function splitEndpoints(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (typeof value === 'string' ? [value] : value)
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return list.length === 0 ? undefined : list;
}

/** Connection settings, per setting highest first: flags, environment, the client config file. */
export function resolveConnectionSettings(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'cwd'>): ConnectionSettings {
  const configFile = findConfigFile(flags, io);
  const config = configFile === undefined ? {} : readConfigFile(configFile);
  const env = (name: string) => {
    const value = io.env[name];
    return value === undefined || value === '' ? undefined : path.resolve(io.cwd, value);
  };
  const flag = (value: string | undefined) => (value === undefined ? undefined : path.resolve(io.cwd, value));
  const endpoints = splitEndpoints(flags.endpoint) ?? splitEndpoints(io.env.COFFER_ENDPOINT) ?? config.endpoints;
  if (endpoints === undefined || endpoints.length === 0) {
    throw new CliError(
      'CONFIG_INVALID',
      'no endpoint: pass --endpoint URL, set COFFER_ENDPOINT, or give a client config (--config, COFFER_CONFIG)',
    );
  }
  const caFile = flag(flags.caFile) ?? env('COFFER_CA_FILE') ?? config.caFile;
  if (caFile === undefined) {
    throw new CliError(
      'CONFIG_INVALID',
      'no CA certificate: pass --ca-file FILE, set COFFER_CA_FILE, or give a client config',
    );
  }
  const certFile = flag(flags.certFile) ?? env('COFFER_CLIENT_CERT') ?? config.certFile;
  const keyFile = flag(flags.keyFile) ?? env('COFFER_CLIENT_KEY') ?? config.keyFile;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new CliError(
      'CONFIG_INVALID',
      'a client certificate needs its key and a key its certificate (--cert-file with --key-file)',
    );
  }
  const zone = flags.zone ?? (io.env.COFFER_ZONE || undefined) ?? config.zone;
  const discover =
    flags.discover ??
    (io.env.COFFER_DISCOVER === undefined ? undefined : io.env.COFFER_DISCOVER === '1') ??
    config.discover;
  return {
    endpoints,
    ...(zone === undefined ? {} : { zone }),
    ...(discover === undefined ? {} : { discover }),
    caFile,
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(configFile === undefined ? {} : { configFile }),
  };
}

function readSetting(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError(
      'FILE_ERROR',
      `cannot read the ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Reads the files the settings name into SDK options. */
export function clientOptions(settings: ConnectionSettings): CofferClientOptions {
  return {
    endpoints: settings.endpoints,
    ...(settings.zone === undefined ? {} : { zone: settings.zone }),
    ...(settings.discover === undefined ? {} : { discover: settings.discover }),
    ca: readSetting(settings.caFile, 'CA certificate'),
    ...(settings.certFile === undefined ? {} : { cert: readSetting(settings.certFile, 'client certificate') }),
    ...(settings.keyFile === undefined ? {} : { key: readSetting(settings.keyFile, 'client key') }),
  };
}
