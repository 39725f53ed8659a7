import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';
import { aliasRoutes } from './aliases.js';
import { auditRoutes } from './audit.js';
import { batchRoutes } from './batch.js';
import { clusterRoutes } from './cluster.js';
import { clusterPolicyRoutes } from './cluster-policy.js';
import { cryptoRoutes } from './crypto.js';
import { healthRoutes } from './health.js';
import { keyDerivationRoutes } from './key-derivation.js';
import { keyImportRoutes } from './key-import.js';
import { keyWrappingRoutes } from './key-wrapping.js';
import { keyAttributeRoutes } from './key-attributes.js';
import { keyShareRoutes } from './key-shares.js';
import { keyRoutes } from './keys.js';
import { keyUsageRoutes } from './key-usage.js';
import { keyRotationRoutes } from './key-rotation.js';
import { multipartRoutes } from './multipart.js';
import { openApiRoutes } from './openapi.js';
import { quorumRoutes } from './quorum.js';
import { sessionRoutes } from './sessions.js';
import { userKeyRoutes } from './user-keys.js';
import { userRoutes } from './users.js';

/** Every route file of /v1, registered from this one list. */
export const ROUTES: readonly ((app: FastifyInstance, services: ApiServices) => void)[] = [
  healthRoutes,
  clusterRoutes,
  clusterPolicyRoutes,
  sessionRoutes,
  userRoutes,
  userKeyRoutes,
  quorumRoutes,
  keyRoutes,
  keyAttributeRoutes,
  keyShareRoutes,
  aliasRoutes,
  keyImportRoutes,
  keyWrappingRoutes,
  keyDerivationRoutes,
  cryptoRoutes,
  multipartRoutes,
  keyRotationRoutes,
  batchRoutes,
  auditRoutes,
  keyUsageRoutes,
  openApiRoutes,
];
