import { Buffer } from 'node:buffer';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses } from '../../http/common-schemas.js';
import { links, paths } from '../../http/links.js';
import { collectionQuery, commonQuery, echoQuery, paramsSchema, toListQuery, type CollectionQuery } from '../../http/query.js';
import { SseStream } from '../../http/sse.js';
import { ApiError, BadGatewayError, NotFoundError, ServiceUnavailableError, ValidationError } from '../../errors.js';
import { validateTopicName } from '../../lib/mqtt-topics.js';
import { NotConnectedError } from '../../runtime/connector.js';
import type { Runtime } from '../../runtime/runtime.js';
import { SCOPES } from '../../security/scopes.js';
import type { IntegrationEventSortField } from '../../store/store.js';
import type { IntegrationService } from '../integrations/service.js';
import { integrationEvent, integrationEvents, publishBody, streamQuery, type PublishBody, type StreamQuery } from './schemas.js';

const tags = ['Integration messages'];
const itemParams = paramsSchema('applicationId', 'integrationId');
const appParams = paramsSchema('applicationId');
const eventsQuery = collectionQuery(['ts', 'type', 'id'], 'ts', ['type'], 'desc');
const PUBLISHABLE = new Set(['mqtt', 'websocket']);

type ItemParams = { applicationId: string; integrationId: string };

export interface MessageRouteOptions {
  readonly sseBuffer: number;
  /** How long a publish may wait for the broker's acknowledgement. */
  readonly publishTimeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailableError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function integrationMessageRoutes(app: FastifyInstance, integrations: IntegrationService, runtime: Runtime, options: MessageRouteOptions): void {
  /** Takes the response over from Fastify and turns it into an SSE stream of integrationMessage events. */
  const openStream = (reply: FastifyReply, query: StreamQuery) => {
    reply.hijack();
    return new SseStream(reply.raw, { keepAliveSeconds: query.keepAliveInterval, maxBuffered: options.sseBuffer, eventName: 'integrationMessage' });
  };
  app.addSchema(integrationEvent);
  app.addSchema(integrationEvents);

  app.get<{ Params: ItemParams; Querystring: StreamQuery }>('/applications/:applicationId/integrations/:integrationId/messageStream', {
    config: { scopes: SCOPES.integration.messageStream },
    schema: {
      tags,
      summary: 'Server-Sent Events: every message the integration receives, as `integrationMessage` events with data { time, topic, message }',
      params: itemParams,
      querystring: streamQuery,
      response: errorResponses(404),
    },
    handler: async (request, reply) => {
      const { applicationId, integrationId } = request.params;
      if (!(await integrations.exists(applicationId, integrationId))) throw new NotFoundError('Integration was not found');
      const stream = openStream(reply, request.query);
      stream.onClose(runtime.bus.subscribeIntegration(integrationId, applicationId, stream));
      // It may have been deleted between the check and the subscription.
      if (!(await integrations.exists(applicationId, integrationId))) stream.end('The integration was deleted');
    },
  });

  app.get<{ Params: { applicationId: string }; Querystring: StreamQuery }>('/applications/:applicationId/integrationMessageStream', {
    config: { scopes: SCOPES.integrations.messageStream },
    schema: {
      tags,
      summary: 'Server-Sent Events: messages of every integration of the application; each event also carries integrationId',
      params: appParams,
      querystring: streamQuery,
      response: errorResponses(404),
    },
    handler: async (request, reply) => {
      const stream = openStream(reply, request.query);
      stream.onClose(runtime.bus.subscribeApplication(request.params.applicationId, stream));
    },
  });

  app.post<{ Params: ItemParams; Body: PublishBody }>('/applications/:applicationId/integrations/:integrationId/publish', {
    config: { scopes: SCOPES.integration.publish },
    schema: {
      tags,
      summary: 'Publishes a message through the integration: MQTT answers once the broker acknowledged it (QoS 1 by default); WebSocket once the frame is written',
      params: itemParams,
      querystring: commonQuery,
      body: publishBody,
      response: { 200: { $ref: 'success#' }, ...errorResponses(404, 502, 503) },
    },
    handler: async (request) => {
      const { applicationId, integrationId } = request.params;
      const { spec } = await integrations.get(applicationId, integrationId);
      const body = request.body;
      if (!PUBLISHABLE.has(spec.integrationType)) throw new ValidationError(`Publishing through ${spec.integrationType} integrations is not supported`);
      if (!spec.enabled) throw new ValidationError('The integration is disabled; enable it to publish');
      if (spec.integrationType === 'mqtt') {
        if (body.topic === undefined) throw new ValidationError('topic is required to publish through an MQTT integration');
        const problem = validateTopicName(body.topic);
        if (problem) throw new ValidationError(`topic is not a valid MQTT topic: ${problem}`);
      }
      if (body.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(body.message)) throw new ValidationError('message is not valid base64');
      const payload = body.encoding === 'base64' ? Buffer.from(body.message, 'base64') : body.message;
      try {
        await withTimeout(
          runtime.supervisor.publish(integrationId, { topic: body.topic ?? '', payload, qos: body.qos, retain: body.retain }),
          options.publishTimeoutMs,
          `The broker did not acknowledge the message within ${options.publishTimeoutMs} ms`,
        );
      } catch (err) {
        if (err instanceof NotConnectedError) throw new ServiceUnavailableError(err.message);
        if (err instanceof ApiError) throw err;
        if (err instanceof TypeError) throw new ValidationError(err.message);
        throw new BadGatewayError(`The broker refused the message: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { success: true };
    },
  });

  app.get<{ Params: ItemParams; Querystring: CollectionQuery<IntegrationEventSortField> }>('/applications/:applicationId/integrations/:integrationId/events', {
    config: { scopes: SCOPES.integration.events },
    schema: {
      tags,
      summary: 'The connection history of the integration (connected, connectFailed, disconnected, subscribeFailed, disabled, stopped), newest first',
      params: itemParams,
      querystring: eventsQuery,
      response: { 200: { $ref: 'integrationEvents#' }, ...errorResponses(404) },
    },
    handler: async (request) => {
      const { applicationId, integrationId } = request.params;
      const list = toListQuery(request.query, 'desc');
      const page = await integrations.listEvents(applicationId, integrationId, list);
      return {
        items: page.items.map((e) => ({
          id: e.id,
          integrationId: e.integrationId,
          applicationId: e.applicationId,
          ts: e.ts,
          time: new Date(e.ts).toISOString(),
          type: e.type,
          ...(e.message !== null ? { message: e.message } : {}),
        })),
        count: page.items.length,
        totalCount: page.totalCount,
        ...echoQuery(list),
        integrationId,
        applicationId,
        _type: 'integrationEvents',
        ...links(request.query._links, { self: `${paths.integration(applicationId, integrationId)}/events`, integration: paths.integration(applicationId, integrationId) }),
      };
    },
  });
}
