/**
 * Validation of the names that go into certificates: the subject common name and the subject
 * alternative names (DNS names and IP addresses). The CA decides names; these checks keep what it
 * writes well-formed.
 */
import { isIP } from 'node:net';
import { CofferError } from '../errors/coffer-error.js';
import type { x509 } from './x509-runtime.js';

/** X.520 ub-common-name. */
export const MAX_COMMON_NAME_LENGTH = 64;
const MAX_SAN_ENTRIES = 100;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Requires a common name of 1–64 characters without control characters. */
export function checkCommonName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_COMMON_NAME_LENGTH) {
    throw new CofferError('INVALID_FIELD', `${field} must be a string of 1 to ${MAX_COMMON_NAME_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value) || value.trim() !== value) {
    throw new CofferError('INVALID_FIELD', `${field} must not hold control characters or surrounding spaces`);
  }
  return value;
}

/** Requires DNS host names (letters, digits, hyphens; a leading "*." wildcard label is allowed). */
export function checkDnsNames(values: unknown, field: string): string[] {
  const list = checkList(values, field);
  return list.map((value, index) => {
    const name = typeof value === 'string' ? value.toLowerCase() : '';
    const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
    if (
      name.length === 0 ||
      name.length > 253 ||
      labels.length === 0 ||
      !labels.every((label) => DNS_LABEL.test(label))
    ) {
      throw new CofferError('INVALID_FIELD', `${field}[${index}] is not a valid DNS name`);
    }
    return name;
  });
}

/** Requires IPv4 or IPv6 addresses in their textual form. */
export function checkIpAddresses(values: unknown, field: string): string[] {
  const list = checkList(values, field);
  return list.map((value, index) => {
    const version = typeof value === 'string' ? isIP(value) : 0;
    // IPv6 zone ids and embedded IPv4 forms are refused: they have no place in a certificate.
    if (typeof value !== 'string' || version === 0 || (version === 6 && /[.%]/.test(value))) {
      throw new CofferError('INVALID_FIELD', `${field}[${index}] is not a valid IP address`);
    }
    return version === 6 ? value.toLowerCase() : value;
  });
}

function checkList(values: unknown, field: string): unknown[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    throw new CofferError('INVALID_FIELD', `${field} must be an array of strings`);
  }
  if (values.length > MAX_SAN_ENTRIES) {
    throw new CofferError('INVALID_FIELD', `${field} may hold at most ${MAX_SAN_ENTRIES} entries`);
  }
  return values;
}

/** The JSON form of a SubjectAlternativeName for @peculiar/x509; duplicates are dropped. */
export function subjectAltNames(dnsNames: readonly string[], ipAddresses: readonly string[]): x509.JsonGeneralNames {
  return [
    ...[...new Set(dnsNames)].map((value) => ({ type: 'dns' as const, value })),
    ...[...new Set(ipAddresses)].map((value) => ({ type: 'ip' as const, value })),
  ];
}
