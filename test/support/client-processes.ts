import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * The programs a client test runs, started without blocking the event loop (the node under test
 * lives in the test's own process) and all stopped by `stopAll`, also when a test failed.
 */
export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Added to (and overriding) the environment the set was made with. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to standard input, which is then closed (closed at once without it). */
  readonly input?: string | Buffer;
  readonly timeoutMs?: number;
}

/** A long-running program (nginx, ssh-agent) in its own process group. */
export interface Daemon {
  readonly pid: number;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Sends `signal` to its process group; SIGKILL to the group if it is not gone in `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class ClientProcesses {
  private readonly running = new Set<ChildProcess>();
  private readonly daemons = new Set<Daemon>();

  constructor(private readonly baseEnv: () => NodeJS.ProcessEnv) {}

  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
    return new Promise((resolve) => {
      const child = execFile(
        file,
        args,
        {
          env: { ...this.baseEnv(), ...options.env },
          cwd: options.cwd,
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          killSignal: 'SIGKILL',
          maxBuffer: 32 << 20,
        },
        (error, stdout, stderr) => {
          this.running.delete(child);
          const failed = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
          const code = failed ? (typeof failed.code === 'number' ? failed.code : null) : 0;
          // A program that cannot be started says so in stderr, as a shell would.
          const why = failed && typeof failed.code === 'string' ? `${file}: ${failed.message}\n` : '';
          resolve({ code, signal: failed?.signal ?? null, stdout, stderr: why + stderr });
        },
      );
      this.running.add(child);
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input);
    });
  }

  start(file: string, args: readonly string[], options: Omit<RunOptions, 'input' | 'timeoutMs'> = {}): Daemon {
    const child = spawn(file, args, {
      env: { ...this.baseEnv(), ...options.env },
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', (error) => (output += `${file}: ${error.message}\n`));
    let gone = false;
    const exit = once(child, 'close').then(() => {
      gone = true;
    });
    const group = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is gone already (ESRCH).
      }
    };
    const daemon: Daemon = {
      pid: child.pid ?? -1,
      output: () => output,
      exited: () => gone,
      stop: async (signal = 'SIGTERM', graceMs = 5000) => {
        if (!gone) {
          group(signal);
          const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
          if ((await Promise.race([exit, timer])) === 'late') group('SIGKILL');
          await exit;
        }
        // Workers the leader left behind (nginx's, ssh-agent's helper) go with the group.
        group('SIGKILL');
        this.daemons.delete(daemon);
      },
    };
    this.daemons.add(daemon);
    return daemon;
  }

  /** Stops every daemon (gracefully first) and kills every program still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.daemons].map((daemon) => daemon.stop()));
    for (const child of this.running) child.kill('SIGKILL');
    this.running.clear();
  }
}
