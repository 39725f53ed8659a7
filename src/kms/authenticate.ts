import type { FastifyRequest } from 'fastify';
import { originOf } from '../audit/refusal-budget.js';
import { verifySigV4, type SigV4Failure } from '../aws/sigv4.js';
import { CofferError } from '../errors/coffer-error.js';
import type { ErrorCode } from '../errors/registry.js';
import type { AccessKeyCredential, CredentialRefusal } from '../identity/access-keys.js';
import type { Session } from '../identity/sessions.js';
import type { Services } from '../operations/services.js';

/** Each SigV4 failure as KMS answers it (the error registry's kms column names the exception). */
const FAILURE_CODES: Readonly<Record<SigV4Failure, ErrorCode>> = {
  incomplete: 'SIGV4_INCOMPLETE',
  scope: 'SIGV4_SIGNATURE_INVALID',
  expired: 'SIGV4_SIGNATURE_INVALID',
  'unknown-key': 'ACCESS_KEY_UNRECOGNIZED',
  payload: 'SIGV4_SIGNATURE_INVALID',
  signature: 'SIGV4_SIGNATURE_INVALID',
};

export interface Authenticated {
  readonly session: Session;
  readonly region: string;
}

/**
 * A KMS request's signer: SigV4 (service `kms`, any region, x-amz-target signed too) over the
 * exact bytes received, checked against an Active access key of an existing user. The session
 * it yields lives for this one request, with the user's current role; the permission table,
 * the key-use gate and audit then treat it as any other. Every refusal is audited under its
 * source's budget (src/audit/refusal-budget.ts: the first of a window in full, the rest
 * summarized), with the key's user as actor when the key is known; the client hears only
 * KMS's exception, the same whether audited in full or counted.
 */
export async function authenticate(services: Services, request: FastifyRequest, body: Buffer): Promise<Authenticated> {
  let refusal: CredentialRefusal | undefined;
  let holder: string | undefined;
  const result = await verifySigV4<AccessKeyCredential>(
    { method: request.method, url: request.raw.url ?? '/', rawHeaders: request.raw.rawHeaders, body },
    {
      service: 'kms',
      requiredHeaders: ['x-amz-target'],
      credential: async (accessKeyId) => {
        const found = await services.accessKeys.credential(accessKeyId);
        if ('refused' in found) {
          refusal = found.refused;
          return undefined;
        }
        holder = found.username;
        return found;
      },
    },
  );
  if (!result.ok) {
    const code = FAILURE_CODES[result.failure];
    await services.refusals.audit(originOf('kms', request.raw.socket), {
      actor: holder ?? 'anonymous',
      action: 'kms.authenticate',
      ...(result.accessKeyId !== undefined && { target: `access-key/${result.accessKeyId.slice(0, 32)}` }),
      result: 'failure',
      code,
      details: { reason: refusal ?? result.failure },
    });
    throw new CofferError(code, result.detail);
  }
  const { credential } = result;
  credential.secret.fill(0);
  const now = Date.now();
  return {
    session: {
      id: `kms:${credential.accessKeyId}`,
      username: credential.username,
      role: credential.role,
      createdAt: now,
      lastUsedAt: now,
    },
    region: result.region,
  };
}
