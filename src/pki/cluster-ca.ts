/**
 * The cluster CA, made once at cluster init. It signs node and client certificates; its private
 * key is returned to the caller, which keeps it sealed.
 */
import type { KeyObject } from 'node:crypto';
import { CofferError } from '../errors/coffer-error.js';
import { checkValidityDays, validityWindow } from './dates.js';
import { generateEcKeyPair } from './keys.js';
import { MAX_COMMON_NAME_LENGTH } from './names.js';
import { certificateToPem } from './pem.js';
import { randomSerialNumberHex } from './serial.js';
import { x509 } from './x509-runtime.js';

const CA_NAME_PREFIX = 'Coffer Cluster CA ';
export const CLUSTER_CA_DEFAULT_VALIDITY_DAYS = 3650;
const CLUSTER_ID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_COMMON_NAME_LENGTH - CA_NAME_PREFIX.length - 1}}$`);

export interface ClusterCa {
  readonly certificatePem: string;
  readonly privateKey: KeyObject;
}

/**
 * Makes a self-signed cluster CA: ECDSA P-384 with SHA-384, subject
 * `CN=Coffer Cluster CA <clusterId>, O=Coffer`, BasicConstraints CA:true pathLen 0 (critical),
 * KeyUsage keyCertSign|cRLSign (critical), SubjectKeyIdentifier, a random positive 128-bit serial,
 * valid for `validityDays` (10 years by default) from a minute ago.
 */
export async function createClusterCa(opts: { clusterId: string; validityDays?: number }): Promise<ClusterCa> {
  const clusterId: unknown = opts?.clusterId;
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId)) {
    throw new CofferError(
      'INVALID_FIELD',
      `clusterId must be 1 to ${MAX_COMMON_NAME_LENGTH - CA_NAME_PREFIX.length} letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const days = checkValidityDays(opts.validityDays, CLUSTER_CA_DEFAULT_VALIDITY_DAYS, 'validityDays');
  const { privateKey, cryptoKeys } = await generateEcKeyPair('P-384');
  const { notBefore, notAfter } = validityWindow(days);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumberHex(),
    name: [{ CN: [`${CA_NAME_PREFIX}${clusterId}`] }, { O: ['Coffer'] }],
    notBefore,
    notAfter,
    keys: cryptoKeys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(cryptoKeys.publicKey),
    ],
  });
  return { certificatePem: certificateToPem(certificate), privateKey };
}
