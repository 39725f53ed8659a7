/**
 * The operations `coffer bench` measures, one table: what keys each needs (labelled bench-*),
 * one request of it, its batch item when it can be batched, and how to clean up.
 */
import { randomBytes } from 'node:crypto';
import type { BatchOperation, CofferSession, KeyPair } from '../client/index.js';

export const BENCH_OPERATION_NAMES = [
  'rsa2048-sign',
  'p256-sign',
  'aes256-gcm-1k-encrypt',
  'aes-keygen',
  'label-lookup',
] as const;

export type BenchOperationName = (typeof BENCH_OPERATION_NAMES)[number];

export function isBenchOperationName(name: string): name is BenchOperationName {
  return (BENCH_OPERATION_NAMES as readonly string[]).includes(name);
}

/** An operation with its keys in place. */
export interface PreparedOperation {
  /** One single request. */
  single(): Promise<void>;
  /** One item of a batch request; absent when the batch route does not carry this operation. */
  readonly batchItem?: () => BatchOperation;
  /** Deletes every key made for (or by) the benchmark. */
  cleanup(): Promise<void>;
}

export interface BenchOperation {
  readonly description: string;
  prepare(session: CofferSession, labelPrefix: string): Promise<PreparedOperation>;
}

const MESSAGE = randomBytes(32);
const PLAINTEXT_1K = randomBytes(1024);
/** Deletes in parallel, this many at a time. */
const DELETE_CONCURRENCY = 8;

/** Deletes `handles`, a few at a time; throws the first failure after trying them all. */
export async function deleteKeys(session: CofferSession, handles: readonly string[]): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < handles.length) {
      const handle = handles[next++] as string;
      await session.deleteKey(handle).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: DELETE_CONCURRENCY }, worker));
  if (failures.length > 0) throw failures[0];
}

const pairHandles = (pair: KeyPair): string[] => [pair.privateKey.handle, pair.publicKey.handle];

function signing(
  generate: (session: CofferSession, label: string) => Promise<KeyPair>,
  item: (keyHandle: string) => BatchOperation & { operation: 'sign' },
): BenchOperation['prepare'] {
  return async (session, label) => {
    const pair = await generate(session, label);
    const request = item(pair.privateKey.handle);
    return {
      single: async () => void (await session.sign(request)),
      batchItem: () => request,
      cleanup: () => deleteKeys(session, pairHandles(pair)),
    };
  };
}

export const BENCH_OPERATIONS: Readonly<Record<BenchOperationName, BenchOperation>> = {
  'rsa2048-sign': {
    description: 'RSA-2048 signature, SHA256_RSA_PKCS_PSS (salt 32) over 32 bytes',
    prepare: signing(
      (session, label) => session.generateKeyPair({ keyType: 'rsa', modulusBits: 2048, label }),
      (keyHandle) => ({
        operation: 'sign',
        keyHandle,
        mechanism: 'SHA256_RSA_PKCS_PSS',
        saltLength: 32,
        data: MESSAGE,
      }),
    ),
  },
  'p256-sign': {
    description: 'P-256 signature, ECDSA_SHA256 over 32 bytes',
    prepare: signing(
      (session, label) => session.generateKeyPair({ keyType: 'ec', curve: 'secp256r1', label }),
      (keyHandle) => ({ operation: 'sign', keyHandle, mechanism: 'ECDSA_SHA256', data: MESSAGE }),
    ),
  },
  'aes256-gcm-1k-encrypt': {
    description: 'AES-256-GCM encryption of 1 KiB (the node picks the IV)',
    prepare: async (session, label) => {
      const key = await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label });
      const request = { keyHandle: key.handle, mechanism: 'AES_GCM', plaintext: PLAINTEXT_1K } as const;
      return {
        single: async () => void (await session.encrypt(request)),
        batchItem: () => ({ operation: 'encrypt', ...request }),
        cleanup: () => deleteKeys(session, [key.handle]),
      };
    },
  },
  'aes-keygen': {
    description: 'AES-256 token key generation (durable: one audited store commit each)',
    prepare: async (session, label) => {
      const made: string[] = [];
      return {
        single: async () => {
          const key = await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label });
          made.push(key.handle);
        },
        cleanup: () => deleteKeys(session, made),
      };
    },
  },
  'label-lookup': {
    description: 'GET /v1/keys?label=… finding one existing key',
    prepare: async (session, label) => {
      const key = await session.generateSymmetricKey({ keyType: 'aes', keyLengthBytes: 32, label });
      return {
        single: async () => {
          const page = await session.listKeys({ label });
          if (page.keys.length !== 1) throw new Error(`label lookup found ${page.keys.length} keys, expected 1`);
        },
        cleanup: () => deleteKeys(session, [key.handle]),
      };
    },
  },
};

/**
 * One request of the benchmark: `batch` operations in one `POST /v1/batch` when the operation
 * can be batched and batch > 1, else one single request. Any failed item fails the request.
 * Returns the step and the batch size it really uses.
 */
export function requestStep(
  session: CofferSession,
  prepared: PreparedOperation,
  batch: number,
): { step: () => Promise<number>; batch: number } {
  const item = prepared.batchItem;
  if (batch <= 1 || item === undefined)
    return {
      step: async () => {
        await prepared.single();
        return 1;
      },
      batch: 1,
    };
  // Encoded once, sent every time (as openssl speed reuses its buffers): the client's base64 and
  // JSON work then stays out of the figure, which is the node's.
  const encoded = session.prepareBatch(Array.from({ length: batch }, item));
  return {
    step: async () => {
      const results = await encoded.send();
      for (const result of results) if (!result.ok) throw result.error;
      return batch;
    },
    batch,
  };
}
