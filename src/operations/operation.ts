import type { KeyUsage } from '../crypto/types.js';
import type { AuditEventInput } from '../records/audit-chain.js';
import type { PolicyOperation } from '../identity/policy.js';
import type { Session } from '../identity/sessions.js';
import type { KeyRole, UsageMechanism } from '../keys/key-roles.js';
import type { Admission } from '../keys/key-use-gate.js';
import type { WriteOutcome } from '../records/write-claim.js';
import type { Services } from './services.js';

/** A key an operation uses: the input field that names it, its role, and for uses the mechanism field. */
export interface KeyDeclaration<I> {
  readonly role: KeyRole;
  /** The input field holding the key's reference (a 0x… handle or alias/<name>). */
  readonly field: keyof I & string;
  /** The input field naming the mechanism, for the usage roles (encrypt … derive). */
  readonly mechanismField?: keyof I & string;
  /** The input field of a caller's IV, for encrypt: the caller-IV rule decides whether it may. */
  readonly ivField?: keyof I & string;
}

/** Where the /v1 JSON API serves an operation. */
export interface HttpBinding {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  /** The success status; 204 answers no body. */
  readonly status?: 200 | 201 | 204;
  readonly bodyLimit?: number;
}

/** JSON schemas of the input's parts; every object schema refuses unknown fields. */
export interface OperationSchema {
  readonly body?: object;
  readonly params?: object;
  readonly querystring?: object;
}

/** What the gate hands an operation for a key declared in `role`. */
export type AdmissionOf<R extends KeyRole> = R extends KeyUsage ? Admission<UsageMechanism<R>> : Admission<undefined>;

export type Admitted<D> = {
  readonly [N in keyof D]: D[N] extends { role: infer R extends KeyRole } ? AdmissionOf<R> : never;
};

/** Identifiers an audit event carries besides its own fields (never a secret). */
export type AuditDetails = NonNullable<AuditEventInput['details']>;

export interface OperationContext<D> {
  readonly services: Services;
  readonly session: Session;
  /** Every declared key, admitted by the gate in declaration order before `run` is called. */
  readonly keys: Admitted<D>;
  /** The way in's context for the audit (runOperation's RunContext), for the operation's own events. */
  readonly auditDetails?: AuditDetails;
}

/**
 * The permission an operation needs: a row of the permission table, one chosen from the input
 * (a multi-part operation's kind), or only a login session (steps of an operation already begun).
 */
export type OperationPolicy<I> = PolicyOperation | 'authenticated' | { readonly of: (input: I) => PolicyOperation };

/** An answer body, or undefined for none (204). */
export type OperationResult = Record<string, unknown> | undefined;

/** What a replay may read: the services, as the retrying caller. */
export interface ReplayContext {
  readonly services: Services;
  readonly session: Session;
}

/**
 * How a retry of an operation that accepts an Idempotency-Key answers: from what the first
 * request's write did (its outcome, recorded in the same transaction) and the retry's input,
 * which is the first request's, without writing again.
 */
export type Replay<I> = (context: ReplayContext, outcome: WriteOutcome, input: I) => Promise<OperationResult>;

/**
 * One operation of the node, declared once: its permission, its input schema, every key it
 * uses with the role it uses it in, and the service call. Every way in — the /v1 routes, the
 * batch endpoint, and the adapters to come — runs operations through `runOperation`, so the
 * permission table and the key-use gate see every call the same way.
 */
export interface Operation<I = never, D extends Record<string, KeyDeclaration<I>> = Record<string, KeyDeclaration<I>>> {
  readonly name: string;
  /** What the operation does, in one line (the OpenAPI summary, the docs). */
  readonly summary: string;
  readonly policy: OperationPolicy<I>;
  /** Where /v1 serves it; absent for an operation only an adapter runs (the PKCS#11 face's). */
  readonly http?: HttpBinding;
  readonly schema: OperationSchema;
  readonly keys: D;
  /** Also served as an item of POST /v1/batch, under this name. */
  readonly batch?: string;
  /** Accepts an Idempotency-Key (a write): how a retry answers. */
  readonly idempotent?: Replay<I>;
  run(context: OperationContext<D>, input: I): Promise<OperationResult>;
}

/** The registry's view of an operation, whatever its input type. */
export interface AnyOperation {
  readonly name: string;
  readonly summary: string;
  readonly policy: OperationPolicy<Record<string, unknown>>;
  readonly http?: HttpBinding;
  readonly schema: OperationSchema;
  readonly keys: Readonly<Record<string, KeyDeclaration<Record<string, unknown>>>>;
  readonly batch?: string;
  readonly idempotent?: Replay<Record<string, unknown>>;
  run(
    context: OperationContext<Record<string, KeyDeclaration<Record<string, unknown>>>>,
    input: Record<string, unknown>,
  ): Promise<OperationResult>;
}

/** Declares an operation, keeping its input and key types for `run`, erased for the registry. */
export function operation<I, const D extends Record<string, KeyDeclaration<I>>>(
  declared: Operation<I, D>,
): AnyOperation {
  return declared as unknown as AnyOperation;
}
