import type { FastifyInstance } from 'fastify';
import type { ApiServices } from '../services.js';
import { auditRoutes } from './audit.js';
import { clusterRoutes } from './cluster.js';
import { cryptoRoutes } from './crypto.js';
import { healthRoutes } from './health.js';
import { keyRoutes } from './keys.js';
import { sessionRoutes } from './sessions.js';
import { userRoutes } from './users.js';

/** Every route file of /v1, registered from this one list. */
export const ROUTES: readonly ((app: FastifyInstance, services: ApiServices) => void)[] = [
  healthRoutes,
  clusterRoutes,
  sessionRoutes,
  userRoutes,
  keyRoutes,
  cryptoRoutes,
  auditRoutes,
];
