import { writePrivateFile } from '../util/files.js';

/** The bounds pkcs11/src/config.c holds `discoveryIntervalMs` to (it refuses C_Initialize outside them). */
export const PKCS11_DISCOVERY_INTERVAL_MS = { min: 1000, max: 86_400_000 } as const;

/**
 * The PKCS#11 module's configuration file (read by pkcs11/src/config.c when COFFER_PKCS11_CONF
 * names it). Relative paths are relative to the file's directory. No secret goes in it: the PIN
 * comes from the application at C_Login.
 */
export interface Pkcs11Config {
  /** Node URLs, each with an optional zone: `https://host:2225#zone` or `{url, zone}`. */
  readonly endpoints: readonly (string | { readonly url: string; readonly zone?: string })[];
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How many requests of combined calls may be on their way at once (0: every call alone). */
  readonly combineInFlight?: number;
  /** The application's zone: its healthy endpoints are preferred. */
  readonly zone?: string;
  /** Also use the nodes the cluster lists (GET /v1/cluster/nodes), asked at C_Initialize … */
  readonly discover?: boolean;
  /** … and again this often (default 60 000). */
  readonly discoveryIntervalMs?: number;
}

export async function writePkcs11Config(path: string, config: Pkcs11Config): Promise<void> {
  const interval = config.discoveryIntervalMs;
  if (
    interval !== undefined &&
    (!Number.isInteger(interval) ||
      interval < PKCS11_DISCOVERY_INTERVAL_MS.min ||
      interval > PKCS11_DISCOVERY_INTERVAL_MS.max)
  )
    throw new RangeError(
      `discoveryIntervalMs must be an integer from ${PKCS11_DISCOVERY_INTERVAL_MS.min} to ${PKCS11_DISCOVERY_INTERVAL_MS.max}`,
    );
  const file: Pkcs11Config = { connectTimeoutMs: 5000, requestTimeoutMs: 30000, ...config };
  await writePrivateFile(path, JSON.stringify(file, null, 2) + '\n');
}
