import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  APPROVAL_HEADER,
  addApproval,
  approvalHeader,
  signBytes,
  tokenFile,
  type QuorumToken,
  type QuorumTokenFile,
} from '../../src/client/quorum-file.js';
import type { Api, ApiAnswer } from './api.js';

/** Keys, registrations and token files for quorum and MFA tests; keys are made at test time. */
export interface SignerKeys {
  readonly publicPem: string;
  readonly privateKey: KeyObject;
}

export function signerKeys(kind: 'ec' | 'rsa' = 'ec'): SignerKeys {
  const pair =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKey: pair.privateKey };
}

/**
 * Registers `keys` as the session user's MFA or quorum key, proving possession, confirmed by the
 * user's password (and, when `mfaKey` is given, by signing the MFA confirmation challenge).
 */
export async function registerKey(
  api: Api,
  token: string,
  purpose: 'mfa' | 'quorum',
  keys: SignerKeys,
  password: string,
  mfaKey?: SignerKeys,
): Promise<ApiAnswer> {
  const path = purpose === 'mfa' ? 'mfa' : 'quorum-key';
  const issued = await api.call<{ challengeId: string; challenge: string }>(
    'POST',
    `/v1/users/me/${path}/registration-token`,
    { token, body: {} },
  );
  if (issued.status !== 201) throw new Error(`registration token: ${issued.text}`);
  const signature = signBytes(keys.privateKey, Buffer.from(issued.body.challenge, 'base64'));
  const body = { publicKey: keys.publicPem, challengeId: issued.body.challengeId, signature, password };
  return confirmed(api, 'PUT', `/v1/users/me/${path}`, token, body, mfaKey);
}

/**
 * Sends a change of the user's own keys; with `mfaKey`, answers MFA_REQUIRED by signing the
 * challenge it carries and sending again.
 */
export async function confirmed(
  api: Api,
  method: 'PUT' | 'DELETE',
  path: string,
  token: string,
  body: Record<string, unknown>,
  mfaKey?: SignerKeys,
): Promise<ApiAnswer> {
  const first = await api.call(method, path, { token, body });
  const challenge = (first.body as { error?: { challenge?: { challengeId: string; challenge: string } } }).error
    ?.challenge;
  if (!mfaKey || !challenge) return first;
  const signature = signBytes(mfaKey.privateKey, Buffer.from(challenge.challenge, 'base64'));
  return api.call(method, path, { token, body: { ...body, mfa: { challengeId: challenge.challengeId, signature } } });
}

export async function generateToken(
  api: Api,
  token: string,
  body: { service: string; keyHandle?: string; timeoutSeconds?: number },
): Promise<QuorumTokenFile> {
  const answer = await api.call<{ token: QuorumToken }>('POST', '/v1/quorum/tokens', { token, body });
  if (answer.status !== 201) throw new Error(`generate: ${answer.text}`);
  return tokenFile(answer.body.token);
}

export function approve(file: QuorumTokenFile, approvers: readonly [string, SignerKeys][]): QuorumTokenFile {
  return approvers.reduce((signed, [username, keys]) => addApproval(signed, username, keys.privateKey), file);
}

export function withApproval(file: QuorumTokenFile | readonly QuorumTokenFile[]): Record<string, string> {
  return { [APPROVAL_HEADER]: approvalHeader(file) };
}
