import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';
import { kmsRoutes } from '../../kms/route.js';
import { accessKeyRoutes } from './access-keys.js';
import { auditRoutes } from './audit.js';
import { batchRoutes } from './batch.js';
import { clusterRoutes } from './cluster.js';
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

/** Every route file of the node (/v1, and the KMS-compatible API), registered from this one list. */
export const ROUTES: readonly ((app: FastifyInstance, services: ApiServices) => void)[] = [
  healthRoutes,
  clusterRoutes,
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
  openApiRoutes,
  // The KMS-compatible API (POST /, AWS JSON 1.1), in its own context: KMS's error shape.
  kmsRoutes,
];
