/**
 * The one place @peculiar/x509 is loaded. It needs `reflect-metadata` evaluated before it (its
 * dependency-injection container reads decorator metadata) and a WebCrypto provider; both are
 * set here, once, so every other module of src/pki imports `x509` from this file and never from
 * the package directly.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

export { x509, webcrypto };

/** The WebCrypto key type used with @peculiar/x509 (Node's, as no DOM lib is loaded). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
