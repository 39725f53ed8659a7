/**
 * Revoked node certificates: `revoked/<serial>`, one entry per certificate, written when a node
 * is removed (in the same transaction as its audit event) and signed by the cluster CA's key.
 *
 * Signed, not sealed: every node must refuse a revoked certificate, a sealed node too (it
 * checks the peer it asks for the root key), and a sealed node holds no barrier key but does
 * hold the CA certificate. The signature makes an entry unforgeable by whoever can write the
 * store; an entry once seen stays revoked in a node's memory even if it is deleted later.
 */
import { sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import type { StateStore, StoredEntry } from '../../store/state-store.js';

export const REVOCATION_PREFIX = 'revoked/';
const DOMAIN = 'coffer-revocation-v1\n';

export interface Revocation {
  readonly clusterId: string;
  /** Upper-case hex, as describeCertificate and checkNodeCertificate give it. */
  readonly serialNumber: string;
  readonly nodeId: string;
  readonly revokedAt: string;
}

interface SignedRevocation extends Revocation {
  readonly formatVersion: 1;
  /** ECDSA (the CA's curve and hash) over DOMAIN ‖ the canonical JSON of the Revocation. */
  readonly signature: string;
}

export function revocationPath(serialNumber: string): string {
  return REVOCATION_PREFIX + serialNumber;
}

export function signRevocation(revocation: Revocation, caKey: KeyObject): Buffer {
  const signature = sign('sha384', signedBytes(revocation), caKey).toString('base64');
  const record: SignedRevocation = { formatVersion: 1, ...canonical(revocation), signature };
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/** The revocation an entry holds, if its signature is the CA's and it names this cluster. */
export function verifyRevocation(key: string, value: Buffer, caPem: string, clusterId: string): Revocation | undefined {
  let record: Partial<SignedRevocation>;
  try {
    record = JSON.parse(value.toString('utf8')) as Partial<SignedRevocation>;
  } catch {
    return undefined;
  }
  const { clusterId: cluster, serialNumber, nodeId, revokedAt, signature } = record;
  if (
    record.formatVersion !== 1 ||
    typeof cluster !== 'string' ||
    typeof serialNumber !== 'string' ||
    typeof nodeId !== 'string' ||
    typeof revokedAt !== 'string' ||
    typeof signature !== 'string' ||
    cluster !== clusterId ||
    key !== revocationPath(serialNumber)
  )
    return undefined;
  const revocation = { clusterId: cluster, serialNumber, nodeId, revokedAt };
  try {
    const publicKey = new X509Certificate(caPem).publicKey;
    return verify('sha384', signedBytes(revocation), publicKey, Buffer.from(signature, 'base64'))
      ? revocation
      : undefined;
  } catch {
    return undefined;
  }
}

/** Hex as OpenSSL (TLS) and the PKI code each print it: upper case, no leading zeros. */
function normalSerial(serialNumber: string): string {
  return serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
}

function canonical(revocation: Revocation): Revocation {
  const { clusterId, serialNumber, nodeId, revokedAt } = revocation;
  return { clusterId, serialNumber, nodeId, revokedAt };
}

function signedBytes(revocation: Revocation): Buffer {
  return Buffer.from(DOMAIN + JSON.stringify(canonical(revocation)), 'utf8');
}

/**
 * The set of revoked serials a node checks on every node-to-node call and TLS client: loaded
 * once, then kept by a store watch (a reset loads it again). Entries whose signature does not
 * verify are ignored and reported.
 */
export class RevocationList {
  private readonly serials = new Set<string>();
  private loaded: Promise<void> | undefined;
  private readonly unwatch: () => void;
  /** Bumped on every newly seen revocation: a per-connection cache knows it is stale. */
  generation = 0;

  constructor(
    private readonly store: Pick<StateStore, 'range' | 'watch'>,
    private readonly caPem: string,
    private readonly clusterId: string,
    private readonly onInvalid: (key: string) => void = () => undefined,
  ) {
    this.unwatch = store.watch(
      REVOCATION_PREFIX,
      (event) => {
        if (event.type === 'put') this.add(event);
      },
      { onReset: () => void this.load().catch(() => undefined) },
    );
    // Read at once; a failure (the store away) is retried by the next ready().
    void this.ready().catch(() => undefined);
  }

  /** Resolves once the store's list has been read (refusals before that would be guesses). */
  ready(): Promise<void> {
    this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  get size(): number {
    return this.serials.size;
  }

  isRevoked(serialNumber: string): boolean {
    return this.serials.has(normalSerial(serialNumber));
  }

  /** This node revoked a certificate: known at once, before the watch event arrives. */
  noteRevoked(serialNumber: string): void {
    const serial = normalSerial(serialNumber);
    if (this.serials.has(serial)) return;
    this.serials.add(serial);
    this.generation++;
  }

  close(): void {
    this.unwatch();
  }

  private async load(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.store.range(REVOCATION_PREFIX, after === undefined ? {} : { after });
      for (const entry of page.entries) this.add(entry);
      if (!page.more || page.entries.length === 0) return;
      after = page.entries[page.entries.length - 1]!.key;
    }
  }

  private add(entry: Pick<StoredEntry, 'key' | 'value'>): void {
    const revocation = verifyRevocation(entry.key, entry.value, this.caPem, this.clusterId);
    if (revocation === undefined) {
      this.onInvalid(entry.key);
      return;
    }
    this.noteRevoked(revocation.serialNumber);
  }
}
