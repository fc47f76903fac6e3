import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/common-schemas.js';
import { paramsSchema } from '../../http/query.js';
import { SseStream, type SseOptions } from '../../http/sse.js';
import type { StreamRegistry } from '../../http/stream-registry.js';
import type { StatusPort } from '../../runtime/status-feed.js';
import { SCOPES } from '../../security/scopes.js';
import type { IntegrationService } from '../integrations/service.js';
import { integrationStatusEvent, statusStreamQuery, type StatusStreamQuery } from './schemas.js';
import { StatusSession, type StoredStatus } from './session.js';

const PAGE = 1000;

export interface StatusRouteOptions {
  readonly sseBuffer: number;
  readonly metrics?: SseOptions['metrics'];
}

/** Every integration of the application with its stored status, a page at a time. */
async function storedStatuses(integrations: IntegrationService, applicationId: string): Promise<Map<string, StoredStatus>> {
  const found = new Map<string, StoredStatus>();
  for (let page = 0; ; page++) {
    const { items } = await integrations.list(applicationId, { sortField: 'id', sortDirection: 'asc', page, perPage: PAGE });
    for (const { row } of items) found.set(row.id, { enabled: row.enabled, status: row.status });
    if (items.length < PAGE) return found;
  }
}

/**
 * GET …/integrationStatusStream: one `integrationStatus` event per integration
 * of the application (its current status), then one per change as the
 * runtime reports it (StatusPort), with no polling.
 */
export function integrationStatusRoutes(app: FastifyInstance, integrations: IntegrationService, statuses: StatusPort, registry: StreamRegistry, options: StatusRouteOptions): void {
  app.get<{ Params: { applicationId: string }; Querystring: StatusStreamQuery }>('/applications/:applicationId/integrationStatusStream', {
    config: { scopes: SCOPES.integrations.statusStream },
    schema: {
      tags: ['Integrations'],
      summary:
        'Server-Sent Events: first one `integrationStatus` event per integration of the application (data { integrationId, status }), then one on every change of a status; a deleted integration stops appearing, a deleted application ends the stream',
      params: paramsSchema('applicationId'),
      querystring: statusStreamQuery,
      response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: integrationStatusEvent } } }, ...errorResponses(404, 429) },
    },
    handler: async (request, reply) => {
      const { applicationId } = request.params;
      const session = new StatusSession(statuses);
      const release = registry.admit(principalOf(request), request.headers.authorization ?? '', applicationId, (reason) => session.ended(reason));
      // Listening first, then reading: a change made while the store is read is not missed.
      const unsubscribe = statuses.subscribe(applicationId, session);
      let stored: Map<string, StoredStatus>;
      try {
        stored = await storedStatuses(integrations, applicationId);
      } catch (err) {
        unsubscribe();
        release();
        throw err;
      }
      statuses.remember(applicationId, stored.keys());
      reply.hijack();
      const stream = new SseStream(reply.raw, { keepAliveSeconds: request.query.keepAliveInterval, maxBuffered: options.sseBuffer, ...(options.metrics ? { metrics: options.metrics } : {}) });
      stream.onClose(unsubscribe);
      stream.onClose(release);
      session.open(stream, stored);
    },
  });
}
