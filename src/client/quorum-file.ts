import { KeyObject, constants, createPrivateKey, sign } from 'node:crypto';

/**
 * The quorum token file, in CloudHSM's token-sign shape: the requester writes it, each approver
 * adds a signature of `approval_data` (decoded from base64) made with SHA-256 by the private key
 * whose public half they registered — with `coffer quorum token-sign sign`, or by hand:
 *
 *   jq -r .approval_data token.json | base64 -d > data.bin
 *   openssl dgst -sha256 -sign approver.key data.bin | base64 -w0
 *
 * and the requester passes the file to the protected command with `--approval`.
 */
export interface QuorumTokenFile {
  readonly version: '2.0';
  readonly service: string;
  /** The token id. */
  readonly token: string;
  readonly approval_data: string;
  readonly username: string;
  readonly 'key-handle'?: string;
  readonly expires: string;
  readonly signatures: readonly { readonly username: string; readonly signature: string }[];
}

/** The token as POST /v1/quorum/tokens returns it. */
export interface QuorumToken {
  readonly id: string;
  readonly service: string;
  readonly requester: string;
  readonly keyHandle?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly approvalData: string;
}

export const APPROVAL_HEADER = 'x-coffer-quorum-approval';

export function tokenFile(token: QuorumToken): QuorumTokenFile {
  return {
    version: '2.0',
    service: token.service,
    token: token.id,
    approval_data: token.approvalData,
    username: token.requester,
    ...(token.keyHandle === undefined ? {} : { 'key-handle': token.keyHandle }),
    expires: token.expiresAt,
    signatures: [],
  };
}

/** Signs bytes as the node verifies them: SHA-256, RSA PKCS#1 v1.5 or ECDSA DER. Base64. */
export function signBytes(privateKey: KeyObject | string | Buffer, data: Buffer): string {
  const key = privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey);
  const options =
    key.asymmetricKeyType === 'ec'
      ? { key, dsaEncoding: 'der' as const }
      : { key, padding: constants.RSA_PKCS1_PADDING };
  return sign('sha256', data, options).toString('base64');
}

/** The file with `username`'s approval added (replacing an earlier one by the same user). */
export function addApproval(
  file: QuorumTokenFile,
  username: string,
  privateKey: KeyObject | string | Buffer,
): QuorumTokenFile {
  const signature = signBytes(privateKey, Buffer.from(file.approval_data, 'base64'));
  const others = file.signatures.filter((entry) => entry.username !== username);
  return { ...file, signatures: [...others, { username, signature }] };
}

/**
 * The header value that carries a file's approvals to the node; several files (at most 4) when
 * one operation needs approvals for several keys, as a wrap whose two keys both have quorum.
 */
export function approvalHeader(file: QuorumTokenFile | readonly QuorumTokenFile[]): string {
  const approval = (one: QuorumTokenFile) => ({ token: one.token, signatures: one.signatures });
  const value = Array.isArray(file)
    ? (file as readonly QuorumTokenFile[]).map(approval)
    : approval(file as QuorumTokenFile);
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}
