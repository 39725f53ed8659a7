/** The Coffer release, reported by health and status. */
export const COFFER_VERSION = '0.1.0';
