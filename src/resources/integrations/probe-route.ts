import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../http/common-schemas.js';
import { commonQuery, paramsSchema } from '../../http/query.js';
import type { IntegrationSpec } from '../../domain/integration-spec.js';
import type { ProbeResult } from '../../runtime/probe.js';
import { SCOPES } from '../../security/scopes.js';
import { integrationPost, type IntegrationInput } from './schemas.js';
import type { IntegrationService } from './service.js';

/** What the probe route needs of the runtime. */
export interface ProbePort {
  probe(spec: IntegrationSpec): Promise<ProbeResult>;
}

const probeResult = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    latencyMs: { type: 'number', description: 'Time to a link that is up with every topic subscribed (success)' },
    error: { type: 'string', description: 'Why the attempt failed, in the words a status would use (failure)' },
  },
  required: ['success'],
} as const;

/**
 * POST …/integrations/probe: the body of a create, checked exactly as a
 * create is (schema, then the service's checks), then one connection attempt
 * through the runtime. Nothing is stored; a failed attempt is a 200 with the
 * reason, since the request itself was fine.
 */
export function integrationProbeRoute(app: FastifyInstance, service: IntegrationService, runtime: ProbePort): void {
  app.post<{ Params: { applicationId: string }; Body: IntegrationInput }>('/applications/:applicationId/integrations/probe', {
    config: { scopes: SCOPES.integrations.probe },
    schema: {
      tags: ['Integrations'],
      summary: 'Tests a connection: one connection attempt (subscribing to its topics) with the body of a create; stores nothing. Answers { success: true, latencyMs } or { success: false, error }',
      params: paramsSchema('applicationId'),
      querystring: commonQuery,
      body: integrationPost,
      response: { 200: probeResult, ...errorResponses(404) },
    },
    handler: async (request) => runtime.probe(service.validate(request.params.applicationId, request.body)),
  });
}
