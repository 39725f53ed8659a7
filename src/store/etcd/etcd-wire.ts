/**
 * etcd's wire: the messages of proto/rpc.proto and proto/kv.proto as TypeScript types, and the
 * gRPC methods the store calls, each with its path and (de)serializers from the loaded .proto.
 * int64 fields travel as decimal strings (etcd's lease ids do not fit a JS number); the
 * deserializer's output is typed here, once, rather than at each call.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** An int64 or uint64 as sent or received: decimal text. */
export type Int64 = string;

export interface ResponseHeader {
  readonly cluster_id: Int64;
  readonly member_id: Int64;
  readonly revision: Int64;
  readonly raft_term: Int64;
}

export interface KeyValue {
  readonly key: Buffer;
  readonly create_revision: Int64;
  readonly mod_revision: Int64;
  readonly version: Int64;
  readonly value: Buffer;
  readonly lease: Int64;
}

export interface WatchEventWire {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue | null;
}

export interface RangeRequest {
  readonly key: Buffer;
  readonly range_end?: Buffer;
  readonly limit?: number;
  readonly revision?: Int64 | number;
  readonly keys_only?: boolean;
  readonly count_only?: boolean;
}

export interface RangeResponse {
  readonly header: ResponseHeader | null;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: Int64;
}

export interface CompareWire {
  readonly result: 'EQUAL';
  readonly target: 'VERSION' | 'MOD';
  readonly key: Buffer;
  readonly version?: Int64 | number;
  readonly mod_revision?: Int64 | number;
}

export type RequestOp =
  | { readonly request_put: { readonly key: Buffer; readonly value: Buffer; readonly lease?: Int64 } }
  | { readonly request_delete_range: { readonly key: Buffer } };

export interface TxnRequest {
  readonly compare: readonly CompareWire[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly header: ResponseHeader | null;
  readonly succeeded: boolean;
}

export interface CompactionRequest {
  readonly revision: Int64 | number;
  readonly physical: boolean;
}

export interface HeaderOnly {
  readonly header: ResponseHeader | null;
}

export type WatchRequest =
  | {
      readonly create_request: {
        readonly key: Buffer;
        readonly range_end: Buffer;
        readonly start_revision: Int64 | number;
        readonly progress_notify: boolean;
        readonly watch_id: Int64 | number;
      };
    }
  | { readonly cancel_request: { readonly watch_id: Int64 | number } };

export interface WatchResponse {
  readonly header: ResponseHeader | null;
  readonly watch_id: Int64;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compact_revision: Int64;
  readonly cancel_reason: string;
  readonly events: readonly WatchEventWire[];
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader | null;
  readonly ID: Int64;
  readonly TTL: Int64;
  readonly error: string;
}

export interface LeaseIdRequest {
  readonly ID: Int64;
}

export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader | null;
  readonly ID: Int64;
  readonly TTL: Int64;
}

export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader | null;
  readonly ID: Int64;
  readonly TTL: Int64;
  readonly grantedTTL: Int64;
}

export interface Member {
  readonly ID: Int64;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

export interface MemberListResponse {
  readonly header: ResponseHeader | null;
  readonly members: readonly Member[];
}

export interface StatusResponse {
  readonly header: ResponseHeader | null;
  readonly version: string;
  readonly leader: Int64;
  readonly raftIndex: Int64;
  readonly raftTerm: Int64;
  readonly errors: readonly string[];
  readonly isLearner: boolean;
}

type Empty = Record<string, never>;

/** One gRPC method: where it is and how its messages are (de)serialized. */
export interface Method<Request, Response> {
  readonly path: string;
  readonly serialize: (request: Request) => Buffer;
  readonly deserialize: (bytes: Buffer) => Response;
}

/**
 * The .proto files sit beside this module's source. Run from source (tsx), that is this
 * directory; compiled, this module is dist/src/store/etcd/ and the source is four levels up.
 */
function protoDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'proto'), join(here, '..', '..', '..', '..', 'src', 'store', 'etcd', 'proto')];
  const found = candidates.find((candidate) => existsSync(join(candidate, 'rpc.proto')));
  if (found === undefined) throw new Error(`etcd's .proto files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

const definition = loadSync('rpc.proto', {
  includeDirs: [protoDirectory()],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

function method<Request, Response>(service: string, name: string): Method<Request, Response> {
  const services = definition[`etcdserverpb.${service}`];
  const found =
    services !== undefined && name in services
      ? (services as Record<string, MethodDefinition<object, object>>)[name]
      : undefined;
  if (found === undefined) throw new Error(`rpc.proto lacks etcdserverpb.${service}/${name}`);
  return {
    path: found.path,
    serialize: (request) => found.requestSerialize(request as object),
    // The one place a decoded message is given its type: proto-loader decodes to the shapes above.
    deserialize: (bytes) => found.responseDeserialize(bytes) as Response,
  };
}

export const METHODS = {
  range: method<RangeRequest, RangeResponse>('KV', 'Range'),
  txn: method<TxnRequest, TxnResponse>('KV', 'Txn'),
  compact: method<CompactionRequest, HeaderOnly>('KV', 'Compact'),
  watch: method<WatchRequest, WatchResponse>('Watch', 'Watch'),
  leaseGrant: method<{ readonly TTL: number }, LeaseGrantResponse>('Lease', 'LeaseGrant'),
  leaseRevoke: method<LeaseIdRequest, HeaderOnly>('Lease', 'LeaseRevoke'),
  leaseKeepAlive: method<LeaseIdRequest, LeaseKeepAliveResponse>('Lease', 'LeaseKeepAlive'),
  leaseTimeToLive: method<LeaseIdRequest, LeaseTimeToLiveResponse>('Lease', 'LeaseTimeToLive'),
  memberList: method<Empty, MemberListResponse>('Cluster', 'MemberList'),
  status: method<Empty, StatusResponse>('Maintenance', 'Status'),
} as const;
