/**
 * The TLS client side of revocation: a connection whose client certificate was revoked (a
 * removed node's) is refused on every request, whatever route it asks for. The serial is read
 * once per connection (getPeerCertificate is costly) and looked up per request, so a removal
 * also cuts connections already open; with nothing revoked the check costs nothing.
 */
import type { TLSSocket } from 'node:tls';
import { CofferError } from '../../errors/coffer-error.js';
import type { RevocationList } from './revocations.js';

export class RevokedClients {
  private readonly serials = new WeakMap<TLSSocket, string>();

  constructor(private readonly list: Pick<RevocationList, 'isRevoked' | 'size'>) {}

  /** Throws CERTIFICATE_REVOKED for a connection whose verified client certificate is revoked. */
  refuse(socket: TLSSocket): void {
    if (this.list.size === 0 || !socket.authorized) return;
    let serial = this.serials.get(socket);
    if (serial === undefined) {
      serial = (socket.getPeerCertificate().serialNumber ?? '').toUpperCase();
      this.serials.set(socket, serial);
    }
    if (serial !== '' && this.list.isRevoked(serial)) throw new CofferError('CERTIFICATE_REVOKED');
  }
}
