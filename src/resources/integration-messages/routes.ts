import { Buffer } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/common-schemas.js';
import { links, paths } from '../../http/links.js';
import { collectionQuery, commonQuery, echoQuery, paramsSchema, toListQuery, type CollectionQuery } from '../../http/query.js';
import { SseStream, type SseOptions } from '../../http/sse.js';
import type { StreamRegistry } from '../../http/stream-registry.js';
import { ApiError, BadGatewayError, NotFoundError, ServiceUnavailableError, ValidationError } from '../../errors.js';
import { MessageRefusedError, NotConnectedError } from '../../runtime/connector.js';
import type { MessagePort, MessageScope } from '../../runtime/message-feed.js';
import { messageId } from '../../runtime/messages.js';
import { SCOPES } from '../../security/scopes.js';
import type { IntegrationEventSortField, MessageRow } from '../../store/store.js';
import type { IntegrationService } from '../integrations/service.js';
import { resumePoint } from './cursor.js';
import { FORWARDED_HEADER, forwardPublish } from './forward.js';
import {
  integrationEvent,
  integrationEvents,
  messagesQuery,
  publishBody,
  retainedMessage,
  retainedMessages,
  streamQuery,
  type MessagesQuery,
  type PublishBody,
  type StreamQuery,
} from './schemas.js';
import { StreamSession } from './stream-session.js';

const tags = ['Integration messages'];
const itemParams = paramsSchema('applicationId', 'integrationId');
const appParams = paramsSchema('applicationId');
const eventsQuery = collectionQuery(['ts', 'type', 'id'], 'ts', ['type'], 'desc');

type ItemParams = { applicationId: string; integrationId: string };

/** A publish carried to another node may take that node's own publish timeout, and the hop. */
const FORWARD_MARGIN_MS = 1000;

export interface MessageRouteOptions {
  readonly sseBuffer: number;
  /** Counts open streams and dropped events (GET /metrics). */
  readonly metrics?: SseOptions['metrics'];
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

function toRetained(row: MessageRow) {
  return {
    id: messageId(row.pos),
    time: new Date(row.time).toISOString(),
    topic: row.topic,
    message: row.message,
    ...(row.encoding !== null ? { encoding: row.encoding } : {}),
    ...(row.sourceId !== null ? { sourceId: row.sourceId } : {}),
    ...(row.attributes !== null ? { attributes: row.attributes } : {}),
  };
}

/** The cursor a stream resumes from: the Last-Event-ID header, else ?lastEventId= (SPEC §6). */
function cursorOf(request: FastifyRequest<{ Querystring: StreamQuery }>): string | undefined {
  const header = request.headers['last-event-id'];
  return (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId;
}

export function integrationMessageRoutes(app: FastifyInstance, integrations: IntegrationService, port: MessagePort, registry: StreamRegistry, options: MessageRouteOptions): void {
  /**
   * Checks the cursor, admits the stream for its token, then takes the
   * response over from Fastify: replay from the cursor (if any), then live.
   */
  const openStream = async (request: FastifyRequest<{ Querystring: StreamQuery }>, reply: FastifyReply, scope: MessageScope) => {
    const resume = await resumePoint(port, scope, cursorOf(request));
    const live = resume === undefined && port.startOfLive ? await port.startOfLive(scope) : undefined;
    const release = registry.admit(principalOf(request), request.headers.authorization ?? '', scope.applicationId, (reason) => session.end(reason));
    reply.hijack();
    const stream = new SseStream(reply.raw, {
      keepAliveSeconds: request.query.keepAliveInterval,
      maxBuffered: options.sseBuffer,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(port.retaining ? { onOverflow: (lastSent: number | undefined) => session.overflowed(lastSent) } : {}),
    });
    const session = new StreamSession(stream, port, scope, options.sseBuffer);
    stream.onClose(release);
    if (resume?.lost) stream.send('messagesLost', JSON.stringify({ ...(scope.integrationId ? { integrationId: scope.integrationId } : {}), reason: resume.lost }));
    stream.onClose(session.start(resume?.pos ?? live, resume?.lost ? resume.prunedThrough : 0));
    return stream;
  };
  app.addSchema(integrationEvent);
  app.addSchema(integrationEvents);
  app.addSchema(retainedMessage);
  app.addSchema(retainedMessages);

  app.get<{ Params: ItemParams; Querystring: StreamQuery }>('/applications/:applicationId/integrations/:integrationId/messageStream', {
    config: { scopes: SCOPES.integration.messageStream },
    schema: {
      tags,
      summary:
        'Server-Sent Events: every message the integration receives, as `integrationMessage` events with data { time, topic, message } and the message id as the SSE id; Last-Event-ID (or lastEventId) resumes after that message',
      params: itemParams,
      querystring: streamQuery,
      response: errorResponses(404, 429),
    },
    handler: async (request, reply) => {
      const { applicationId, integrationId } = request.params;
      if (!(await integrations.exists(applicationId, integrationId))) throw new NotFoundError('Integration was not found');
      const stream = await openStream(request, reply, { applicationId, integrationId });
      // It may have been deleted between the check and the subscription.
      if (!(await integrations.exists(applicationId, integrationId).catch(() => true))) stream.end('The integration was deleted');
    },
  });

  app.get<{ Params: { applicationId: string }; Querystring: StreamQuery }>('/applications/:applicationId/integrationMessageStream', {
    config: { scopes: SCOPES.integrations.messageStream },
    schema: {
      tags,
      summary: 'Server-Sent Events: messages of every integration of the application; each event also carries integrationId; resumable like the integration stream',
      params: appParams,
      querystring: streamQuery,
      response: errorResponses(404, 429),
    },
    handler: async (request, reply) => {
      await openStream(request, reply, { applicationId: request.params.applicationId, integrationId: null });
    },
  });

  app.get<{ Params: ItemParams; Querystring: MessagesQuery }>('/applications/:applicationId/integrations/:integrationId/messages', {
    config: { scopes: SCOPES.integration.messages },
    schema: {
      tags,
      summary: 'The retained messages of the integration, newest first (sortDirection=asc for oldest first); since=<id> for only those after a message',
      params: itemParams,
      querystring: messagesQuery,
      response: { 200: { $ref: 'retainedMessages#' }, ...errorResponses(404) },
    },
    handler: async (request) => {
      const { applicationId, integrationId } = request.params;
      if (!(await integrations.exists(applicationId, integrationId))) throw new NotFoundError('Integration was not found');
      const { page, perPage } = request.query;
      const sortDirection = request.query.sortDirection.toLowerCase() === 'asc' ? ('asc' as const) : ('desc' as const);
      const since = request.query.since === undefined ? undefined : Number(request.query.since);
      const found = await port.list(applicationId, integrationId, { since, sortDirection, page, perPage });
      return {
        items: found.items.map(toRetained),
        count: found.items.length,
        totalCount: found.totalCount,
        perPage,
        page,
        sortField: 'id',
        sortDirection,
        ...(request.query.since !== undefined ? { since: request.query.since } : {}),
        integrationId,
        applicationId,
        _type: 'integrationMessages',
        ...links(request.query._links, { self: `${paths.integration(applicationId, integrationId)}/messages`, integration: paths.integration(applicationId, integrationId) }),
      };
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
    handler: async (request, reply) => {
      const { applicationId, integrationId } = request.params;
      const { spec } = await integrations.get(applicationId, integrationId);
      const body = request.body;
      if (!spec.enabled) throw new ValidationError('The integration is disabled; enable it to publish');
      if (body.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(body.message)) throw new ValidationError('message is not valid base64');
      if (port.elsewhere && request.headers[FORWARDED_HEADER] === undefined) {
        const holder = await port.elsewhere(integrationId);
        if (holder === 'nowhere') throw new ServiceUnavailableError('No node of the cluster holds the integration right now (it is being taken over); try again in a few seconds');
        if (holder) return forwardPublish(holder, request, reply, options.publishTimeoutMs + FORWARD_MARGIN_MS);
      }
      const payload = body.encoding === 'base64' ? Buffer.from(body.message, 'base64') : body.message;
      try {
        await withTimeout(
          port.publish(integrationId, { topic: body.topic ?? '', payload, qos: body.qos, retain: body.retain, ...(body.attributes ? { attributes: body.attributes } : {}) }),
          options.publishTimeoutMs,
          `The service did not acknowledge the message within ${options.publishTimeoutMs} ms`,
        );
      } catch (err) {
        if (err instanceof NotConnectedError) throw new ServiceUnavailableError(err.message);
        if (err instanceof MessageRefusedError) throw new ValidationError(err.message);
        if (err instanceof ApiError) throw err;
        throw new BadGatewayError(`The service refused the message: ${err instanceof Error ? err.message : String(err)}`);
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
