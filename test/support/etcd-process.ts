// The etcd members tests start: the launcher's (src/store/etcd/etcd-members.ts), shared.
export * from '../../src/store/etcd/etcd-members.js';
