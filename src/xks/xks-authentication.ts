import type { PeerCertificate, TLSSocket } from 'node:tls';
import { originOf, type RefusalBudget, type RefusalOrigin } from '../audit/refusal-budget.js';
import { verifySigV4, type SignedRequest } from '../aws/sigv4.js';
import { CofferError } from '../errors/coffer-error.js';
import type { XksKeyStoreRecord } from './key-store-records.js';
import type { StoreCredential, XksKeyStores } from './key-stores.js';
import { ACCESS_KEY_ID } from './sigv4-credential.js';

/** The SigV4 service name AWS KMS signs XKS requests with (spec, Appendix A and D). */
export const XKS_SIGV4_SERVICE = 'kms-xks-proxy';

export interface XksAuthenticationDeps {
  readonly xks: Pick<XksKeyStores, 'credential' | 'store'>;
  /**
   * A refusal before the signature verified is one with no valid credential: audited under its
   * source's budget. One after (the signer holds a store's secret) is audited in full.
   */
  readonly refusals: Pick<RefusalBudget, 'audit'>;
  readonly clock?: () => Date;
}

/**
 * Who signed an XKS request: AWS SigV4 with service kms-xks-proxy, verified by src/aws/sigv4.ts
 * over the exact bytes received (method, path as sent, headers, body), with a credential of a
 * key store; then the store's own conditions — the scope's region, and the TLS client
 * certificate's subject when the store asks for mutual TLS. Every refusal is audited
 * (`xks.authenticate`, the access key id when it is one of ours in shape, never the secret;
 * under the source's budget, src/audit/refusal-budget.ts) and answered
 * AuthenticationFailedException. The secret is zeroed whatever the outcome.
 */
export async function authenticateXks(
  deps: XksAuthenticationDeps,
  request: SignedRequest,
  socket: TLSSocket,
): Promise<XksKeyStoreRecord> {
  let found: StoreCredential | undefined;
  const origin = originOf('xks', socket);
  // Before the signature verified: under the budget. After it: the signer holds a secret of a
  // key store, so its refusal (a key taken out of the store, the wrong region, no client
  // certificate) is evidence of who tried what, and audited in full.
  const refuse = (reason: string, detail: string, accessKeyId: string | undefined): Promise<never> =>
    refuseXks(deps, origin, reason, detail, accessKeyId);
  const refuseSigned = (reason: string, detail: string, accessKeyId: string): Promise<never> =>
    refuseXks(deps, undefined, reason, detail, accessKeyId);
  try {
    const result = await verifySigV4(request, {
      service: XKS_SIGV4_SERVICE,
      ...(deps.clock && { clock: deps.clock }),
      credential: async (accessKeyId) => {
        found = ACCESS_KEY_ID.test(accessKeyId) ? await deps.xks.credential(accessKeyId) : undefined;
        return found;
      },
    });
    if (!result.ok) return await refuse(result.failure, result.detail, result.accessKeyId);
    const store = await deps.xks.store(result.credential.storeId);
    if (!store || !store.accessKeyIds.includes(result.accessKeyId))
      return await refuseSigned('unknown-key', 'the access key is not active', result.accessKeyId);
    if (store.region !== undefined && store.region !== result.region)
      return await refuseSigned('scope', `the key store serves region ${store.region}`, result.accessKeyId);
    const subject = store.tlsClientSubject;
    if (subject !== undefined && !presents(socket, subject))
      return await refuseSigned(
        'client-certificate',
        `the key store needs a client certificate with subject CN=${subject}`,
        result.accessKeyId,
      );
    return store;
  } finally {
    (found as StoreCredential | undefined)?.secret.fill(0);
  }
}

/** A client certificate the node's TLS verified (chained to its trust anchor), with this CN. */
function presents(socket: TLSSocket, commonName: string): boolean {
  if (!socket.authorized) return false;
  const certificate: PeerCertificate = socket.getPeerCertificate();
  const cn = certificate.subject?.CN;
  return (Array.isArray(cn) ? cn : [cn]).includes(commonName);
}

async function refuseXks(
  deps: XksAuthenticationDeps,
  origin: RefusalOrigin | undefined,
  reason: string,
  detail: string,
  accessKeyId: string | undefined,
): Promise<never> {
  const known = accessKeyId !== undefined && ACCESS_KEY_ID.test(accessKeyId) ? accessKeyId : undefined;
  await deps.refusals.audit(origin, {
    actor: 'anonymous',
    action: 'xks.authenticate',
    target: known === undefined ? 'xks' : `xks/access-key/${known}`,
    result: 'failure',
    code: 'XKS_AUTHENTICATION_FAILED',
    details: { reason },
  });
  throw new CofferError('XKS_AUTHENTICATION_FAILED', detail);
}
