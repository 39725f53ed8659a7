import { randomBytes } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';

/**
 * An access key (AWS-style: an access key id and a secret access key) as stored, sealed, at
 * `access-key/<id>`. It signs requests to the KMS-compatible API with SigV4, as its user. The
 * node must keep the secret to verify the HMAC, so it is sealed like every record and travels
 * as a Buffer beside the JSON, never inside it (the key record codec's layout).
 *
 * It belongs to one incarnation of its user: `userCreatedAt` must match the user record, so a
 * user deleted and created again under the same name does not inherit it.
 */
export interface AccessKeyRecord {
  readonly accessKeyId: string;
  readonly username: string;
  readonly userCreatedAt: string;
  /** As IAM: Active, or Inactive (refused; an inactive key is only deleted, never re-activated). */
  readonly status: 'Active' | 'Inactive';
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What anyone allowed to list a user's access keys sees: never the secret. */
export type AccessKeySummary = Pick<AccessKeyRecord, 'accessKeyId' | 'username' | 'status' | 'createdAt'>;

export const ACCESS_KEY_PREFIX = 'access-key/';
/** idx/access-key-user/<username>/<id>: a user's access keys, for listing and for user deletion. */
export const ACCESS_KEY_USER_INDEX = 'idx/access-key-user/';
/** IAM's limit: two access keys a user, so one can be rotated while the other serves. */
export const MAX_ACCESS_KEYS_PER_USER = 2;

/** Ids look like IAM's (AKIA…): "AKCF" and 16 characters of base32. */
export const ACCESS_KEY_ID_PATTERN = /^AKCF[A-Z2-7]{16}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** The secret's alphabet is base64's (as IAM's 40-character secrets); 256 is a multiple of 64. */
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SECRET_LENGTH = 40;

export function accessKeyPath(accessKeyId: string): string {
  return ACCESS_KEY_PREFIX + accessKeyId;
}

export function accessKeyUserIndex(username: string, accessKeyId: string): string {
  return `${ACCESS_KEY_USER_INDEX}${username}/${accessKeyId}`;
}

export function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  return 'AKCF' + [...bytes].map((byte) => BASE32[byte & 31]).join('');
}

/** 40 characters of 240 random bits, made as bytes: the secret is never a JavaScript string here. */
export function newSecret(): Buffer {
  const random = randomBytes(SECRET_LENGTH);
  const secret = Buffer.alloc(SECRET_LENGTH);
  for (let index = 0; index < SECRET_LENGTH; index++) secret[index] = SECRET_ALPHABET.charCodeAt(random[index]! & 63);
  random.fill(0);
  return secret;
}

/** Length-prefixed JSON, then the secret's bytes. */
export function encodeAccessKey(record: AccessKeyRecord, secret: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, secret]);
}

/** The record and a copy of its secret; the caller zeroes the plaintext and the secret. */
export function decodeAccessKey(plaintext: Buffer): { record: AccessKeyRecord; secret: Buffer } {
  if (plaintext.length < 4) throw new CofferError('INTEGRITY_ERROR', 'access key record is truncated');
  const length = plaintext.readUInt32BE(0);
  if (4 + length > plaintext.length) throw new CofferError('INTEGRITY_ERROR', 'access key record is truncated');
  const record = JSON.parse(plaintext.subarray(4, 4 + length).toString('utf8')) as AccessKeyRecord;
  return { record, secret: Buffer.from(plaintext.subarray(4 + length)) };
}

export function summarizeAccessKey(record: AccessKeyRecord): AccessKeySummary {
  const { accessKeyId, username, status, createdAt } = record;
  return { accessKeyId, username, status, createdAt };
}
