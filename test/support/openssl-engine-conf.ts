import { writeFile } from 'node:fs/promises';
import { ENGINE_PATH } from './client-programs.js';

/**
 * An openssl.cnf that loads libp11's pkcs11 engine with a PKCS#11 module, as an application's
 * OPENSSL_CONF names it (docs/integrations/openssl.md shows the same file). `init = 0` leaves
 * the module unloaded until a command asks for the engine.
 */
export function engineConf(module: string): string {
  return [
    'openssl_conf = openssl_init',
    '',
    '[openssl_init]',
    'engines = engine_section',
    '',
    '[engine_section]',
    'pkcs11 = pkcs11_section',
    '',
    '[pkcs11_section]',
    'engine_id = pkcs11',
    `dynamic_path = ${ENGINE_PATH}`,
    `MODULE_PATH = ${module}`,
    'init = 0',
    '',
  ].join('\n');
}

export async function writeEngineConf(path: string, module: string): Promise<string> {
  await writeFile(path, engineConf(module));
  return path;
}
