import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../http/common-schemas.js';
import type { ClusterNodeRow } from '../../store/store.js';

/** User tokens only: application tokens cannot hold these (see APPLICATION_SCOPE_PATTERN), so they get 403. */
const SCOPES = ['all.User', 'all.User.read'];

const clusterNode = {
  type: 'object',
  required: ['id', 'url', 'startedAt', 'lastSeen', 'integrations'],
  properties: {
    id: { type: 'string', description: 'NODE_ID' },
    url: { type: 'string', description: 'NODE_URL: where the other nodes reach it' },
    startedAt: { type: 'string', format: 'date-time' },
    lastSeen: { type: 'string', format: 'date-time', description: 'its last lease renewal' },
    integrations: { type: 'integer', description: 'how many integrations it holds' },
  },
} as const;

export interface ClusterPort {
  nodes(): Promise<ClusterNodeRow[]>;
}

/** GET /cluster (SPEC §8): the live nodes and what each holds; on SQLite, this process alone. */
export function clusterRoutes(app: FastifyInstance, port: ClusterPort): void {
  app.get('/cluster', {
    config: { scopes: SCOPES },
    schema: {
      tags: ['Cluster'],
      summary: 'The live nodes of the cluster, with how many integrations each holds (user tokens with all.User)',
      response: {
        200: { type: 'object', required: ['nodes'], properties: { nodes: { type: 'array', items: clusterNode } } },
        ...errorResponses(401, 403, 503),
      },
    },
    handler: async () => ({ nodes: await port.nodes() }),
  });
}
