import { KMS_KEY_OPERATIONS } from '../kms/key-operations.js';
import { CRYPTO_OPERATIONS } from './crypto.js';
import { KEY_MANAGEMENT_OPERATIONS } from './key-management.js';
import { KEY_TRANSFER_OPERATIONS } from './key-transfer.js';
import { KEY_OPERATIONS } from './keys.js';
import { MULTIPART_OPERATIONS } from './multipart.js';
import type { AnyOperation } from './operation.js';
import { PKCS11_OPERATIONS } from './pkcs11.js';
import { XKS_OPERATIONS } from './xks.js';

/** The operation registry: every operation that touches keys, declared once. */
export const OPERATIONS: readonly AnyOperation[] = [
  ...KEY_OPERATIONS,
  ...KEY_MANAGEMENT_OPERATIONS,
  ...KEY_TRANSFER_OPERATIONS,
  ...CRYPTO_OPERATIONS,
  ...MULTIPART_OPERATIONS,
  ...PKCS11_OPERATIONS,
  ...XKS_OPERATIONS,
  ...KMS_KEY_OPERATIONS,
];

/** The operations POST /v1/batch serves, by their batch name. */
export const BATCH_OPERATIONS: ReadonlyMap<string, AnyOperation> = new Map(
  OPERATIONS.flatMap((op) => (op.batch === undefined ? [] : [[op.batch, op] as const])),
);
