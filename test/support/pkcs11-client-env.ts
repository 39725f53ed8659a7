import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePkcs11Config } from '../../src/cluster/pkcs11-config.js';
import { auditEvents, type SeenEvent } from './audit-events.js';
import { ClientProcesses, type Daemon, type Ran, type RunOptions } from './client-processes.js';
import { firstMissing, missing } from './client-programs.js';
import { PKCS11_BUILD_LOCK } from './pkcs11-process.js';
import { startTestNode, type TestNode } from './test-node.js';

/**
 * One PKCS#11 module for the real-client tests (test/pkcs11-clients/): Coffer's, against a real
 * node with a crypto user, or — only to develop a client test before Coffer's module can do
 * what the test asks — SoftHSM2's, on a fresh token (COFFER_P11_CLIENT_MODULE=softhsm). Every
 * command a test runs goes through `run` or `start`, and `stop` ends all of them, the node and
 * the temp dir, also after a failure.
 */
export type ClientModuleKind = 'coffer' | 'softhsm';

const KINDS: Readonly<Record<string, ClientModuleKind>> = { '': 'coffer', coffer: 'coffer', softhsm: 'softhsm' };

function chosenKind(): ClientModuleKind {
  const asked = process.env.COFFER_P11_CLIENT_MODULE ?? '';
  const kind = KINDS[asked];
  if (kind === undefined) throw new Error(`COFFER_P11_CLIENT_MODULE=${asked}: coffer (the default) or softhsm`);
  return kind;
}

/** The module the client tests load in this run. */
export const CLIENT_MODULE: ClientModuleKind = chosenKind();

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PKCS11_DIR = join(REPO, 'pkcs11');
const COFFER_MODULE = join(PKCS11_DIR, 'build', 'libcoffer-pkcs11.so');
const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** Why the chosen module cannot be had on this machine, or false. */
export const moduleMissing: string | false =
  CLIENT_MODULE === 'coffer'
    ? missing('cc', 'make', 'flock')
    : firstMissing(missing('softhsm2-util'), existsSync(SOFTHSM_MODULE) ? false : `${SOFTHSM_MODULE} missing`);

/** What only Coffer has: the node behind the module and its audit log. */
export interface CofferSide {
  readonly node: TestNode;
  /** The crypto user the PIN logs in as. */
  readonly username: string;
  /** Audit events of `action` by that user, oldest first (the node logs every crypto use). */
  eventsByUser(action: string): Promise<SeenEvent[]>;
}

export interface Pkcs11ClientEnv {
  readonly kind: ClientModuleKind;
  /** The module's real path (ssh-agent allows providers by their canonical path). */
  readonly module: string;
  /** The environment the module itself reads (`COFFER_PKCS11_CONF`, or `SOFTHSM2_CONF`). */
  readonly moduleEnv: Readonly<Record<string, string>>;
  /** PATH, HOME (the temp dir) and `moduleEnv`: what every command gets. */
  readonly env: NodeJS.ProcessEnv;
  /** The user PIN: `user:password` for Coffer; SoftHSM's is made in the same form. */
  readonly pin: string;
  readonly slotId: number;
  /** A temp dir for the test's files, removed by `stop`. */
  readonly dir: string;
  /** Coffer's node and audit; undefined for SoftHSM2. */
  readonly coffer: CofferSide | undefined;
  run(file: string, args: readonly string[], options?: RunOptions): Promise<Ran>;
  start(file: string, args: readonly string[], options?: Omit<RunOptions, 'input' | 'timeoutMs'>): Daemon;
  /** pkcs11-tool on this module. */
  tool(...args: string[]): Promise<Ran>;
  /** pkcs11-tool on this module, logged in as the user. */
  userTool(...args: string[]): Promise<Ran>;
  /**
   * Turns on switches of Coffer's cluster policy, for what SoftHSM2 always does: applications
   * bringing their own AES-GCM IV (`allowCallerIv`), public objects listed without a login
   * (`listPublicObjects`).
   */
  allowPolicy(...switches: PolicySwitch[]): Promise<void>;
  stop(): Promise<void>;
}

type PolicySwitch = 'allowCallerIv' | 'listPublicObjects';

async function buildCofferModule(processes: ClientProcesses): Promise<void> {
  const built = await processes.run('flock', [PKCS11_BUILD_LOCK, 'make', '-C', PKCS11_DIR, 'all'], {
    timeoutMs: 600_000,
  });
  if (built.code !== 0) throw new Error(`make -C pkcs11 all:\n${built.stdout}\n${built.stderr}`);
}

interface ModuleSide {
  readonly module: string;
  readonly moduleEnv: Record<string, string>;
  readonly pin: string;
  readonly slotId: number;
  readonly coffer: CofferSide | undefined;
  allowPolicy(...switches: PolicySwitch[]): Promise<void>;
  stop(): Promise<void>;
}

async function cofferSide(dir: string, processes: ClientProcesses): Promise<ModuleSide> {
  await buildCofferModule(processes);
  const node = await startTestNode({ audit: { auditCryptoUse: true } });
  try {
    const username = 'p11client';
    const user = await node.cryptoUser(username);
    const conf = join(dir, 'pkcs11.json');
    await writePkcs11Config(conf, {
      endpoints: [node.node.url],
      caFile: node.dir.caCert,
      certFile: node.init.clientCert!,
      keyFile: node.init.clientKey!,
    });
    const admin = (): Promise<string> => node.api.login('admin', node.adminPassword);
    return {
      module: await realpath(COFFER_MODULE),
      moduleEnv: { COFFER_PKCS11_CONF: conf },
      pin: `${username}:${user.password}`,
      slotId: 0,
      coffer: {
        node,
        username,
        eventsByUser: async (action) => auditEvents(node.api, await admin(), { action, actor: username }),
      },
      async allowPolicy(...switches) {
        const set = await node.api.call('PUT', '/v1/cluster/policy', {
          token: await admin(),
          body: Object.fromEntries(switches.map((name) => [name, true])),
        });
        if (set.status !== 200) throw new Error(`PUT /v1/cluster/policy: ${set.text}`);
      },
      stop: () => node.stop(),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

async function softhsmSide(dir: string, processes: ClientProcesses): Promise<ModuleSide> {
  const tokens = join(dir, 'softhsm-tokens');
  await mkdir(tokens);
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // The same form as Coffer's PIN, so the tests quote `user:password` as they will for Coffer.
  const pin = `p11client:pw-${randomBytes(9).toString('base64url')}`;
  const soPin = randomBytes(12).toString('hex');
  const args = ['--init-token', '--free', '--label', 'coffer-clients', '--so-pin', soPin, '--pin', pin];
  const made = await processes.run('softhsm2-util', args, { env: { SOFTHSM2_CONF: conf } });
  const slot = /reassigned to slot (\d+)/.exec(made.stdout);
  if (made.code !== 0 || !slot) throw new Error(`softhsm2-util --init-token:\n${made.stdout}\n${made.stderr}`);
  return {
    module: await realpath(SOFTHSM_MODULE),
    moduleEnv: { SOFTHSM2_CONF: conf },
    pin,
    slotId: Number(slot[1]),
    coffer: undefined,
    allowPolicy: async () => undefined,
    stop: async () => undefined,
  };
}

/** Builds (Coffer) or finds (SoftHSM2) the module, and sets up everything a client needs. */
export async function startClientEnv(): Promise<Pkcs11ClientEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-p11-client-'));
  let env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' };
  const processes = new ClientProcesses(() => env);
  let side: ModuleSide | undefined;
  const stop = async (): Promise<void> => {
    await processes.stopAll();
    await side?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    side = CLIENT_MODULE === 'coffer' ? await cofferSide(dir, processes) : await softhsmSide(dir, processes);
  } catch (error) {
    await stop();
    throw error;
  }
  const { module, moduleEnv, pin, slotId, coffer } = side;
  env = { ...env, ...moduleEnv };
  const run = processes.run.bind(processes);
  const tool = (...args: string[]): Promise<Ran> => run('pkcs11-tool', ['--module', module, ...args]);
  return {
    kind: CLIENT_MODULE,
    module,
    moduleEnv,
    env,
    pin,
    slotId,
    dir,
    coffer,
    run,
    start: processes.start.bind(processes),
    tool,
    userTool: (...args) => tool('--login', '--pin', pin, ...args),
    allowPolicy: (...switches) => side!.allowPolicy(...switches),
    stop,
  };
}

/** Percent-encodes a PKCS#11 URI attribute value (RFC 7512): the PIN's `:` and anything else. */
export function uriValue(value: string): string {
  return value.replace(/[^A-Za-z0-9\-._~]/g, (char) =>
    [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** Exports a public key object (by CKA_ID, hex) as PEM through pkcs11-tool and openssl. */
export async function publicKeyPem(client: Pkcs11ClientEnv, id: string, name: string): Promise<Ran & { pem: string }> {
  const der = join(client.dir, `${name}.pub.der`);
  const pem = join(client.dir, `${name}.pub.pem`);
  const read = await client.userTool('--read-object', '--type', 'pubkey', '--id', id, '--output-file', der);
  if (read.code !== 0) return { ...read, pem };
  return { ...(await client.run('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', der, '-out', pem])), pem };
}
