/**
 * The SQLite store's writer thread: it owns the write connection, so each commit and its
 * fsync run here and the node's event loop goes on serving while they do. It answers the
 * requests one after another, in the order they came.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWrites, type WriteOperation } from './sqlite-writes.js';
import {
  toWireError,
  type WireOperation,
  type WriterAnswer,
  type WriterConfig,
  type WriterHello,
  type WriterRequest,
} from './sqlite-writer-protocol.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker runs as a worker thread');

function isConfig(data: unknown): data is WriterConfig {
  if (typeof data !== 'object' || data === null) return false;
  const config = data as Record<string, unknown>;
  return (
    typeof config['path'] === 'string' &&
    typeof config['busyTimeoutMs'] === 'number' &&
    typeof config['historyRevisions'] === 'number'
  );
}

/** The operations with their values as views of the request's buffer: no copy on this side. */
function operationsOf(operations: readonly WireOperation[], bytes: ArrayBuffer): WriteOperation[] {
  return operations.map((operation) =>
    operation.type === 'put'
      ? {
          type: 'put',
          key: operation.key,
          value: Buffer.from(bytes, operation.offset, operation.length),
          ...(operation.lease === undefined ? {} : { lease: operation.lease }),
        }
      : operation,
  );
}

interface Answered {
  readonly answer: WriterAnswer;
  readonly transfer: ArrayBuffer[];
}

function handle(writes: SqliteWrites, request: WriterRequest): Answered {
  const ok = (result: Extract<WriterAnswer, { ok: true }>['result'], transfer: ArrayBuffer[] = []): Answered => ({
    answer: { id: request.id, ok: true, result },
    transfer,
  });
  switch (request.type) {
    case 'txn': {
      const operations = operationsOf(request.operations, request.bytes);
      const outcome = writes.txn(request.compares, operations, new Set(request.expiredLeases));
      return ok({ ...outcome, bytes: request.bytes }, [request.bytes]);
    }
    case 'revoke':
      return ok(writes.revoke(request.lease));
    case 'compact':
      writes.compact(request.revision);
      return ok({});
    case 'grant':
      return ok({ id: writes.grantLease(request.ttlSeconds) });
    case 'close':
      writes.close();
      return ok({});
  }
}

function serve(writes: SqliteWrites): void {
  port?.on('message', (request: WriterRequest) => {
    let answered: Answered;
    try {
      answered = handle(writes, request);
    } catch (error) {
      answered = { answer: { id: request.id, ok: false, error: toWireError(error) }, transfer: [] };
    }
    port.postMessage(answered.answer, answered.transfer);
    // Closed: nothing keeps the thread alive any longer, and it ends.
    if (request.type === 'close') port.close();
  });
}

function start(): void {
  if (!isConfig(workerData)) throw new Error('sqlite-writer-worker started without its configuration');
  let writes: SqliteWrites | undefined;
  try {
    writes = SqliteWrites.open(workerData);
    port?.postMessage({ type: 'ready', settings: writes.settings(), leases: writes.leases() } satisfies WriterHello);
  } catch (error) {
    writes?.close();
    port?.postMessage({ type: 'failed', error: toWireError(error) } satisfies WriterHello);
    port?.close();
    return;
  }
  serve(writes);
}

start();
