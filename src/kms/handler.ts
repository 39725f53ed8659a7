import type { KmsContext } from './context.js';
import type { KmsInput } from './input.js';

/** One KMS operation: its request's members in, its response's members out. */
export type KmsHandler = (context: KmsContext, input: KmsInput) => Promise<Record<string, unknown>>;
