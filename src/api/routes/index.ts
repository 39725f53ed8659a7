import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';
import { kmsRoutes } from '../../kms/route.js';
import { accessKeyRoutes } from './access-keys.js';
import { auditRoutes } from './audit.js';
import { batchRoutes } from './batch.js';
import { clusterRoutes } from './cluster.js';
import { clusterMemberRoutes } from './cluster-members.js';
import { clusterPolicyRoutes } from './cluster-policy.js';
import { healthRoutes } from './health.js';
import { mechanismRoutes } from './mechanisms.js';
import { openApiRoutes } from './openapi.js';
import { operationRoutes } from './operations.js';
import { pkcs11Routes } from './pkcs11.js';
import { quorumRoutes } from './quorum.js';
import { sessionRoutes } from './sessions.js';
import { userKeyRoutes } from './user-keys.js';
import { userRoutes } from './users.js';
import { xksKeyStoreRoutes } from './xks-key-stores.js';
import { xksProxyRoutes } from '../../xks/xks-routes.js';

/** Every route file of the node (/v1, the KMS-compatible API, the XKS proxy API), registered from this one list. */
export const ROUTES: readonly ((app: FastifyInstance, services: ApiServices) => void)[] = [
  healthRoutes,
  clusterRoutes,
  clusterMemberRoutes,
  clusterPolicyRoutes,
  sessionRoutes,
  userRoutes,
  userKeyRoutes,
  accessKeyRoutes,
  quorumRoutes,
  operationRoutes,
  pkcs11Routes,
  mechanismRoutes,
  batchRoutes,
  auditRoutes,
  xksKeyStoreRoutes,
  openApiRoutes,
  // Not /v1: the XKS proxy API AWS KMS calls, on the same listener.
  xksProxyRoutes,
  // The KMS-compatible API (POST /, AWS JSON 1.1), in its own context: KMS's error shape.
  kmsRoutes,
];
