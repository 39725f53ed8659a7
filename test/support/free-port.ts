// Loopback ports and waiting: shared with the local-cluster launcher (src/util/free-port.ts).
export * from '../../src/util/free-port.js';
