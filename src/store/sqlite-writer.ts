/**
 * The main thread's side of the SQLite store's writer thread: it sends each write as a request
 * and resolves the caller once the thread answers, that is once SQLite committed and fsynced.
 * Answers come in request order. If the thread dies, every pending and later call fails with
 * STORE_UNAVAILABLE: none waits for an answer that will not come.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CofferError } from '../errors/coffer-error.js';
import {
  fromWireError,
  type SqliteSettings,
  type StoredLease,
  type WriterAnswer,
  type WriterCall,
  type WriterCalls,
  type WriterConfig,
  type WriterHello,
  type WriterRequest,
} from './sqlite-writer-protocol.js';
import { kindOf } from './watch-warnings.js';

// The thread runs as this module does: compiled (.js), or from source through tsx (.ts).
const EXTENSION = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./sqlite-writer-worker${EXTENSION}`, import.meta.url);
/** How long a closing thread may take to end once it closed its connection. */
const EXIT_TIMEOUT_MS = 5000;

export interface WriterReady {
  readonly settings: SqliteSettings;
  /** The leases in the file at open. */
  readonly leases: readonly StoredLease[];
}

interface Waiting {
  readonly resolve: (result: WriterCalls[WriterCall]['result']) => void;
  readonly reject: (error: CofferError) => void;
}

function newWorker(config: WriterConfig): Worker {
  if (EXTENSION !== '.ts') return new Worker(WORKER_URL, { workerData: config });
  // From source: Node 20 runs no loader hook on a worker's entry, so the thread registers tsx first.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(WORKER_URL.href);
  const code = `import(${tsx}).then((api) => api.register()).then(() => import(${entry}))`;
  return new Worker(code, { eval: true, workerData: config });
}

function unavailable(): CofferError {
  return new CofferError('STORE_UNAVAILABLE', 'the SQLite writer thread stopped');
}

export class SqliteWriter {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private idle: (() => void)[] = [];
  private failed = false;
  private stopping = false;
  private readonly exited: Promise<void>;

  /** Starts the thread, which opens, configures and migrates the file; rejects with its error. */
  static async start(config: WriterConfig): Promise<{ writer: SqliteWriter; ready: WriterReady }> {
    const worker = newWorker(config);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    let hello: WriterHello;
    try {
      hello = await new Promise<WriterHello>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        void exited.then(() => reject(unavailable()));
      });
    } catch (error) {
      await worker.terminate();
      throw error instanceof CofferError
        ? error
        : new CofferError('STORE_UNAVAILABLE', `writer thread (${kindOf(error)})`);
    }
    if (hello.type === 'failed') {
      await exited;
      throw fromWireError(hello.error);
    }
    return { writer: new SqliteWriter(worker, exited), ready: { settings: hello.settings, leases: hello.leases } };
  }

  private constructor(
    private readonly worker: Worker,
    exited: Promise<void>,
  ) {
    this.exited = exited;
    worker.on('message', (answer: WriterAnswer) => this.answered(answer));
    worker.on('error', (error) => this.fail(error));
    void exited.then(() => this.fail(undefined));
    // An idle store does not keep the process alive; a pending write does (see call).
    worker.unref();
  }

  /** Whether the thread died: the store is unusable from then on. */
  get broken(): boolean {
    return this.failed;
  }

  call<K extends WriterCall>(
    type: K,
    request: WriterCalls[K]['request'],
    transfer: ArrayBuffer[] = [],
  ): Promise<WriterCalls[K]['result']> {
    if (this.failed) return Promise.reject(unavailable());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      // The answer to a call of type K holds K's result: the thread answers each request with its own call's.
      this.waiting.set(id, { resolve: resolve as Waiting['resolve'], reject });
      this.worker.postMessage({ id, type, ...request } as WriterRequest, transfer);
    });
  }

  /** Resolves once every call made so far was answered (or failed). */
  drained(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Lets the pending writes finish, then closes the write connection and ends the thread. */
  async close(): Promise<void> {
    await this.drained();
    // Held until the thread has ended, so the process waits for it.
    this.worker.ref();
    if (!this.failed && !this.stopping) {
      this.stopping = true;
      await this.call('close', {}).catch(() => undefined);
    }
    this.stopping = true;
    const timer = setTimeout(() => void this.worker.terminate(), EXIT_TIMEOUT_MS).unref();
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the thread at once, as a crash would: every pending and later call fails. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  private answered(answer: WriterAnswer): void {
    const waiting = this.waiting.get(answer.id);
    if (waiting === undefined) return;
    this.settle(answer.id);
    if (answer.ok) waiting.resolve(answer.result);
    else waiting.reject(fromWireError(answer.error));
  }

  private settle(id: number): void {
    this.waiting.delete(id);
    if (this.waiting.size > 0) return;
    if (!this.stopping) this.worker.unref();
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  private fail(cause: unknown): void {
    if (this.failed) return;
    this.failed = true;
    if (!this.stopping) {
      process.emitWarning(`The SQLite state store's writer thread stopped (${kindOf(cause)})`, {
        code: 'COFFER_STORE_WRITER',
      });
    }
    for (const [id, waiting] of [...this.waiting]) {
      this.settle(id);
      waiting.reject(unavailable());
    }
    void this.worker.terminate();
  }
}
