import { writePrivateFile } from '../util/files.js';

/**
 * The PKCS#11 module's configuration file (read by pkcs11/src/config.c when COFFER_PKCS11_CONF
 * names it). Relative paths are relative to the file's directory. No secret goes in it: the PIN
 * comes from the application at C_Login.
 */
export interface Pkcs11Config {
  readonly endpoints: readonly string[];
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How many requests of combined calls may be on their way at once (0: every call alone). */
  readonly combineInFlight?: number;
}

export async function writePkcs11Config(path: string, config: Pkcs11Config): Promise<void> {
  const file: Pkcs11Config = { connectTimeoutMs: 5000, requestTimeoutMs: 30000, ...config };
  await writePrivateFile(path, JSON.stringify(file, null, 2) + '\n');
}
