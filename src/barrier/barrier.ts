import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import type { Operation, StateStore } from '../store/state-store.js';
import { Keyring, type KeyringIdentity } from './keyring.js';
import type { RecordKind } from './record-kinds.js';
import { ROOT_KEY_TERM, openRecord, recordHeader, sealRecord } from './sealed-record.js';

export const KEYRING_PATH = 'sys/keyring';

/**
 * The barrier: the only place that seals and opens records. While sealed it holds no key and
 * refuses every seal/open with NODE_SEALED; unsealing opens the keyring with the root key.
 * The root key stays in memory (a KeyObject) only while unsealed, for one use: handing it to a
 * sealed peer of the same cluster (src/cluster/peer-unseal/). Sealing forgets both.
 */
export class Barrier {
  private keyring: Keyring | undefined;
  private root: KeyObject | undefined;

  constructor(private readonly store: StateStore) {}

  get sealed(): boolean {
    return this.keyring === undefined;
  }

  get identity(): KeyringIdentity {
    return this.unsealedKeyring().identity;
  }

  /** The store operation that writes a new keyring sealed by `rootKey` (used once, at init). */
  static initialKeyring(rootKey: Buffer, identity: KeyringIdentity, now: Date): Operation {
    return sealKeyring(rootKey, Keyring.create(identity, now));
  }

  /** Opens the keyring with a root key candidate. A wrong key gives UNSEAL_FAILED. */
  async unseal(rootKey: Buffer): Promise<void> {
    const entry = await this.store.get(KEYRING_PATH);
    if (!entry) throw new CofferError('NOT_INITIALIZED', 'no keyring in the store');
    let plaintext: Buffer;
    try {
      plaintext = openRecord(rootKeyObject(rootKey), KEYRING_PATH, 'keyring', entry.value);
    } catch (cause) {
      throw new CofferError('UNSEAL_FAILED', undefined, { cause });
    }
    try {
      this.keyring = Keyring.deserialize(plaintext);
      this.root = rootKeyObject(rootKey);
    } finally {
      plaintext.fill(0);
    }
  }

  seal(): void {
    this.keyring = undefined;
    this.root = undefined;
  }

  /** The root key's bytes, for the peer hand-over only; the caller zeroes them. */
  exportRootKey(): Buffer {
    if (!this.root || !this.keyring) throw new CofferError('NODE_SEALED');
    return this.root.export();
  }

  /** Seals a record written by the commit of audit event `seq` (see sealed-record.ts). */
  sealRecord(path: string, kind: RecordKind, plaintext: Buffer, seq: number): Buffer {
    const keyring = this.unsealedKeyring();
    return sealRecord(keyring.activeKey, { term: keyring.activeTerm, seq }, path, kind, plaintext);
  }

  openRecord(path: string, kind: RecordKind, sealed: Buffer): Buffer {
    const keyring = this.unsealedKeyring();
    const { term } = recordHeader(path, sealed);
    if (term === ROOT_KEY_TERM) throw new CofferError('INTEGRITY_ERROR', `record ${path} is not a data record`);
    return openRecord(keyring.keyFor(term), path, kind, sealed);
  }

  /**
   * A blind index token: HMAC-SHA-256 of a searchable value under the index key, so lookups by
   * label or CKA_ID are exact-match index reads while the store holds no label in plaintext.
   */
  blindIndex(namespace: string, value: Buffer | string): string {
    return createHmac('sha256', this.unsealedKeyring().indexKey)
      .update(namespace)
      .update('\0')
      .update(value)
      .digest('base64url');
  }

  private unsealedKeyring(): Keyring {
    if (!this.keyring) throw new CofferError('NODE_SEALED');
    return this.keyring;
  }
}

function sealKeyring(rootKey: Buffer, keyring: Keyring): Operation {
  const plaintext = keyring.serialize();
  try {
    // Seq 0: the keyring is written before the audit chain's first event.
    const header = { term: ROOT_KEY_TERM, seq: 0 };
    const value = sealRecord(rootKeyObject(rootKey), header, KEYRING_PATH, 'keyring', plaintext);
    return { type: 'put', key: KEYRING_PATH, value };
  } finally {
    plaintext.fill(0);
  }
}

function rootKeyObject(rootKey: Buffer): KeyObject {
  if (rootKey.length !== 32) throw new CofferError('UNSEAL_FAILED', 'the root key has the wrong length');
  return createSecretKey(rootKey);
}
