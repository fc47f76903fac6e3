import type { FastifyInstance } from 'fastify';
import { TooManyRequestsError } from '../../errors.js';
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

/**
 * Connection tests one application may run at once: each is an outbound
 * connection made on demand, outside CONNECT_RATE, so a script looping on
 * the endpoint must not turn Tributary into a connection cannon.
 */
export const PROBES_PER_APPLICATION = 10;

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
  const inFlight = new Map<string, number>();
  app.post<{ Params: { applicationId: string }; Body: IntegrationInput }>('/applications/:applicationId/integrations/probe', {
    config: { scopes: SCOPES.integrations.probe },
    schema: {
      tags: ['Integrations'],
      summary: 'Tests a connection: one connection attempt (subscribing to its topics) with the body of a create; stores nothing. Answers { success: true, latencyMs } or { success: false, error }',
      params: paramsSchema('applicationId'),
      querystring: commonQuery,
      body: integrationPost,
      response: { 200: probeResult, ...errorResponses(404, 429) },
    },
    handler: async (request) => {
      const { applicationId } = request.params;
      const spec = service.validate(applicationId, request.body);
      const running = inFlight.get(applicationId) ?? 0;
      if (running >= PROBES_PER_APPLICATION) throw new TooManyRequestsError(`${PROBES_PER_APPLICATION} connection tests of this application are already running`, 1);
      inFlight.set(applicationId, running + 1);
      try {
        return await runtime.probe(spec);
      } finally {
        const left = (inFlight.get(applicationId) ?? 1) - 1;
        if (left === 0) inFlight.delete(applicationId);
        else inFlight.set(applicationId, left);
      }
    },
  });
}
