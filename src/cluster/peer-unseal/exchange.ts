/**
 * The peer-unseal key exchange: an ephemeral X25519 agreement between a sealed node (the
 * requester) and an unsealed one (the peer), inside their mutual-TLS connection.
 *
 *   requester → peer   its node id, its ephemeral public key E_r
 *   peer → requester   its node id, its ephemeral public key E_p, a salt, a nonce, and
 *                      AES-256-GCM(K, nonce, root key, aad = T)
 *
 * T, the transcript, is SHA-256 over length-prefixed fields: the protocol label, the cluster
 * id, both node ids, E_r, E_p and 32 bytes exported from the TLS session (RFC 8446 §7.5), so
 * the answer opens only for this requester, this peer, these two ephemeral keys and this very
 * TLS connection. K = HKDF-SHA-256(X25519(e, E), salt, info = T). Both ephemeral private keys
 * live for one exchange and are never stored; the root key is sent nowhere else.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { CofferError } from '../../errors/coffer-error.js';

export const PROTOCOL = 'coffer-peer-unseal-v1';
/** The label both ends give exportKeyingMaterial. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-coffer-peer-unseal';
export const TLS_EXPORTER_BYTES = 32;

/** The TLS session's exported keying material both ends bind the exchange to. */
export function tlsExporter(socket: {
  exportKeyingMaterial(length: number, label: string, context: Buffer): Buffer;
}): Buffer {
  return socket.exportKeyingMaterial(TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL, Buffer.from(PROTOCOL));
}
const PUBLIC_KEY_BYTES = 32;
const SALT_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ROOT_KEY_BYTES = 32;

/** Who talks to whom, as each end knows it: the ids come from the TLS certificates, not the body. */
export interface ExchangeParties {
  readonly clusterId: string;
  readonly requesterId: string;
  readonly peerId: string;
  /** exportKeyingMaterial(32, TLS_EXPORTER_LABEL) of the connection the exchange rides. */
  readonly tlsExporter: Buffer;
}

export interface PeerAnswer {
  readonly ephemeralPublicKey: Buffer;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  /** The sealed root key: ciphertext then the 16-byte tag. */
  readonly sealedKey: Buffer;
}

export interface RequesterSecret {
  readonly publicKey: Buffer;
  readonly privateKey: KeyObject;
}

export function startExchange(): RequesterSecret {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: rawPublicKey(publicKey), privateKey };
}

/** The peer's side: seals `rootKey` (not consumed: the caller zeroes it) to the requester. */
export function answerExchange(rootKey: Buffer, requesterPublicKey: Buffer, parties: ExchangeParties): PeerAnswer {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const ephemeralPublicKey = rawPublicKey(publicKey);
  const transcript = transcriptHash(parties, requesterPublicKey, ephemeralPublicKey);
  const salt = randomBytes(SALT_BYTES);
  const key = derive(privateKey, requesterPublicKey, salt, transcript);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(transcript);
    const sealedKey = Buffer.concat([cipher.update(rootKey), cipher.final(), cipher.getAuthTag()]);
    return { ephemeralPublicKey, salt, nonce, sealedKey };
  } finally {
    key.fill(0);
  }
}

/** The requester's side: the root key, or PEER_UNSEAL_REFUSED when the answer does not open. */
export function finishExchange(secret: RequesterSecret, answer: PeerAnswer, parties: ExchangeParties): Buffer {
  if (
    answer.salt.length !== SALT_BYTES ||
    answer.nonce.length !== NONCE_BYTES ||
    answer.sealedKey.length !== ROOT_KEY_BYTES + TAG_BYTES
  )
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the peer answer is malformed');
  const transcript = transcriptHash(parties, secret.publicKey, answer.ephemeralPublicKey);
  const key = derive(secret.privateKey, answer.ephemeralPublicKey, answer.salt, transcript);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, answer.nonce).setAAD(transcript);
    decipher.setAuthTag(answer.sealedKey.subarray(ROOT_KEY_BYTES));
    return Buffer.concat([decipher.update(answer.sealedKey.subarray(0, ROOT_KEY_BYTES)), decipher.final()]);
  } catch {
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the peer answer does not authenticate for this exchange');
  } finally {
    key.fill(0);
  }
}

export function transcriptHash(parties: ExchangeParties, requesterKey: Buffer, peerKey: Buffer): Buffer {
  if (parties.tlsExporter.length !== TLS_EXPORTER_BYTES)
    throw new CofferError('PEER_UNSEAL_REFUSED', 'no keying material from the TLS session');
  const hash = createHash('sha256');
  for (const field of [
    Buffer.from(PROTOCOL),
    Buffer.from(parties.clusterId),
    Buffer.from(parties.requesterId),
    Buffer.from(parties.peerId),
    requesterKey,
    peerKey,
    parties.tlsExporter,
  ]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(field.length);
    hash.update(length).update(field);
  }
  return hash.digest();
}

function derive(privateKey: KeyObject, peerPublicKey: Buffer, salt: Buffer, transcript: Buffer): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey: x25519PublicKey(peerPublicKey) });
  } catch {
    throw new CofferError('PEER_UNSEAL_REFUSED', 'the key agreement failed');
  }
  try {
    // A low-order public key gives the all-zero secret: refused, whatever the library does.
    if (shared.every((byte) => byte === 0)) throw new CofferError('PEER_UNSEAL_REFUSED', 'a degenerate key agreement');
    return Buffer.from(hkdfSync('sha256', shared, salt, transcript, 32));
  } finally {
    shared.fill(0);
  }
}

/** A raw 32-byte X25519 public key as a KeyObject; PEER_UNSEAL_REFUSED if it is not one. */
export function x25519PublicKey(raw: Buffer): KeyObject {
  if (raw.length !== PUBLIC_KEY_BYTES) throw new CofferError('PEER_UNSEAL_REFUSED', 'an ephemeral key is malformed');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    throw new CofferError('PEER_UNSEAL_REFUSED', 'an ephemeral key is malformed');
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}
