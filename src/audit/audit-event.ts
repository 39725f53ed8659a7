/**
 * The audit event and its hash link. The link format is defined beside the one writer that
 * appends it (src/records/audit-chain.ts); the audit layer reads, exports and verifies it.
 */
export { GENESIS_HASH, chainHash, type AuditEvent, type AuditEventInput } from '../records/audit-chain.js';
