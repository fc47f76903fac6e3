import type { FastifyInstance } from 'fastify';
import type { DomainEvents } from '../../events.js';
import { errorResponses } from '../../http/common-schemas.js';
import { MicroCache } from '../../http/micro-cache.js';
import { links, paths } from '../../http/links.js';
import { collectionQuery, commonQuery, echoQuery, paramsSchema, toListQuery, type CollectionQuery, type CommonQuery } from '../../http/query.js';
import { SCOPES } from '../../security/scopes.js';
import type { IntegrationRow, IntegrationSortField } from '../../store/store.js';
import { toIntegration } from './mapping.js';
import { integration, integrationPatch, integrationPost, integrations, type IntegrationInput } from './schemas.js';
import type { IntegrationService } from './service.js';

const tags = ['Integrations'];
const listQuery = collectionQuery(['name', 'id', 'creationDate', 'integrationType', 'lastUpdated'], 'name', ['name', 'integrationType']);
const collectionParams = paramsSchema('applicationId');
const itemParams = paramsSchema('applicationId', 'integrationId');

type ItemParams = { applicationId: string; integrationId: string };

/** A list is served from memory for at most this long; changes through the API retire it at once. */
const LIST_CACHE_TTL_MS = 500;
const LIST_CACHE_SIZE = 32 * 1024 * 1024;

export function integrationRoutes(app: FastifyInstance, service: IntegrationService, events: DomainEvents): void {
  const lists = new MicroCache({ ttlMs: LIST_CACHE_TTL_MS, maxSize: LIST_CACHE_SIZE });
  events.on('integrationCreated', (spec) => lists.invalidate(spec.applicationId));
  events.on('integrationUpdated', (_before, after) => lists.invalidate(after.applicationId));
  events.on('integrationDeleted', ({ applicationId }) => lists.invalidate(applicationId));
  events.on('applicationDeleted', ({ id }) => lists.invalidate(id));

  app.addSchema(integration);
  app.addSchema(integrations);

  app.get<{ Params: { applicationId: string }; Querystring: CollectionQuery<IntegrationSortField> }>('/applications/:applicationId/integrations', {
    config: { scopes: SCOPES.integrations.get },
    schema: { tags, summary: 'Returns the integrations for an application', params: collectionParams, querystring: listQuery, response: { 200: { $ref: 'integrations#' }, ...errorResponses(404) } },
    handler: async (request, reply) => {
      const { applicationId } = request.params;
      const list = toListQuery(request.query);
      const key = `${JSON.stringify(list)}|${request.query._links}`;
      const cached = lists.get(applicationId, key);
      if (cached !== undefined) return reply.type('application/json; charset=utf-8').send(cached);
      const version = lists.version(applicationId);
      const page = await service.list(applicationId, list);
      // The route's serializer always yields a string for an object payload.
      const text = reply.serialize({
        items: page.items.map(({ row, spec }) => toIntegration(row, spec, request.query._links)),
        count: page.items.length,
        totalCount: page.totalCount,
        ...echoQuery(list),
        applicationId,
        _type: 'integrations',
        ...links(request.query._links, { self: paths.integrations(applicationId), application: paths.application(applicationId) }),
      }) as string;
      const body = Buffer.from(text, 'utf8');
      lists.set(applicationId, key, version, body);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  });

  app.post<{ Params: { applicationId: string }; Body: IntegrationInput; Querystring: CommonQuery }>('/applications/:applicationId/integrations', {
    config: { scopes: SCOPES.integrations.post },
    schema: {
      tags,
      summary: 'Create a new integration for an application',
      params: collectionParams,
      querystring: commonQuery,
      body: integrationPost,
      response: { 201: { $ref: 'integration#' }, ...errorResponses(404) },
    },
    handler: async (request, reply) => {
      const { row, spec } = await service.create(request.params.applicationId, request.body);
      return reply.code(201).send(toIntegration(row, spec, request.query._links));
    },
  });

  // Rows from the store's cache are immutable and replaced on every change, so a
  // row's serialized answer can be kept with it and dropped along with it.
  const answers = new WeakMap<IntegrationRow, { withLinks?: Buffer; withoutLinks?: Buffer }>();

  app.get<{ Params: ItemParams; Querystring: CommonQuery }>('/applications/:applicationId/integrations/:integrationId', {
    config: { scopes: SCOPES.integration.get },
    schema: { tags, summary: 'Retrieves information on an integration', params: itemParams, querystring: commonQuery, response: { 200: { $ref: 'integration#' }, ...errorResponses(404) } },
    handler: async (request, reply) => {
      const { row, spec } = await service.get(request.params.applicationId, request.params.integrationId);
      const withLinks = request.query._links;
      let kept = answers.get(row);
      if (!kept) answers.set(row, (kept = {}));
      let body = withLinks ? kept.withLinks : kept.withoutLinks;
      if (!body) {
        // The route's serializer always yields a string for an object payload.
        body = Buffer.from(reply.serialize(toIntegration(row, spec, withLinks)) as string, 'utf8');
        if (withLinks) kept.withLinks = body;
        else kept.withoutLinks = body;
      }
      return reply.type('application/json; charset=utf-8').send(body);
    },
  });

  app.patch<{ Params: ItemParams; Body: IntegrationInput; Querystring: CommonQuery }>('/applications/:applicationId/integrations/:integrationId', {
    config: { scopes: SCOPES.integration.patch },
    schema: {
      tags,
      summary: 'Updates information about an integration; a config object given replaces the stored one whole',
      params: itemParams,
      querystring: commonQuery,
      body: integrationPatch,
      response: { 200: { $ref: 'integration#' }, ...errorResponses(404) },
    },
    handler: async (request) => {
      const { row, spec } = await service.update(request.params.applicationId, request.params.integrationId, request.body);
      return toIntegration(row, spec, request.query._links);
    },
  });

  app.delete<{ Params: ItemParams }>('/applications/:applicationId/integrations/:integrationId', {
    config: { scopes: SCOPES.integration.delete },
    schema: {
      tags,
      summary: 'Deletes an integration, closing its connection and streams',
      params: itemParams,
      querystring: { type: 'object', properties: { ...commonQuery.properties, includeWorkflows: { type: 'string', description: 'Accepted for compatibility; Tributary has no workflows' } } },
      response: { 200: { $ref: 'success#' }, ...errorResponses(404) },
    },
    handler: async (request) => {
      await service.delete(request.params.applicationId, request.params.integrationId);
      return { success: true };
    },
  });
}
