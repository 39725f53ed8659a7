/** The routes see the node's services as the operations do. */
export type { Services as ApiServices } from '../operations/services.js';
