import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/common-schemas.js';
import { commonQuery, collectionQuery, echoQuery, paramsSchema, toListQuery, type CollectionQuery, type CommonQuery } from '../../http/query.js';
import { links, paths } from '../../http/links.js';
import { ForbiddenError } from '../../errors.js';
import { SCOPES } from '../../security/scopes.js';
import type { ApplicationSortField } from '../../store/store.js';
import { toApplication } from './mapping.js';
import { application, applicationPatch, applicationPost, applications, type ApplicationInput } from './schemas.js';
import type { ApplicationService } from './service.js';

const tags = ['Applications'];
const listQuery = collectionQuery(['name', 'id', 'creationDate', 'ownerId', 'lastUpdated'], 'name', ['name']);
const params = paramsSchema('applicationId');

function ownerOf(request: Parameters<typeof principalOf>[0]): string {
  const principal = principalOf(request);
  // Application tokens never hold the scopes these routes accept; this guards the invariant.
  if (principal.kind !== 'user') throw new ForbiddenError('Application tokens cannot list or create applications');
  return principal.userId;
}

export function applicationRoutes(app: FastifyInstance, service: ApplicationService): void {
  app.addSchema(application);
  app.addSchema(applications);

  app.get<{ Querystring: CollectionQuery<ApplicationSortField> & { orgId?: string } }>('/applications', {
    config: { scopes: SCOPES.applications.get },
    schema: { tags, summary: 'Returns the applications the current user owns', querystring: listQuery, response: { 200: { $ref: 'applications#' }, ...errorResponses() } },
    handler: async (request) => {
      const owner = ownerOf(request);
      const list = toListQuery(request.query);
      const page = await service.list(owner, list);
      const summaries = await service.summaries(page.items.map((a) => a.id));
      return {
        items: page.items.map((row) => toApplication(row, summaries.get(row.id), request.query._links)),
        count: page.items.length,
        totalCount: page.totalCount,
        ...echoQuery(list),
        _type: 'applications',
        ...links(request.query._links, { self: paths.applications() }),
      };
    },
  });

  app.post<{ Body: ApplicationInput; Querystring: CommonQuery }>('/applications', {
    config: { scopes: SCOPES.applications.post },
    schema: { tags, summary: 'Creates a new application', querystring: commonQuery, body: applicationPost, response: { 201: { $ref: 'application#' }, ...errorResponses() } },
    handler: async (request, reply) => {
      const row = await service.create(ownerOf(request), request.body);
      return reply.code(201).send(toApplication(row, { integrationCount: 0, apiTokenCount: 0 }, request.query._links));
    },
  });

  app.get<{ Params: { applicationId: string }; Querystring: CommonQuery }>('/applications/:applicationId', {
    config: { scopes: SCOPES.application.get },
    schema: { tags, summary: 'Retrieves information on an application', params, querystring: commonQuery, response: { 200: { $ref: 'application#' }, ...errorResponses(404) } },
    handler: async (request) => {
      const row = await service.get(request.params.applicationId);
      const summary = (await service.summaries([row.id])).get(row.id);
      return toApplication(row, summary, request.query._links);
    },
  });

  app.patch<{ Params: { applicationId: string }; Body: ApplicationInput; Querystring: CommonQuery }>('/applications/:applicationId', {
    config: { scopes: SCOPES.application.patch },
    schema: { tags, summary: 'Updates information about an application', params, querystring: commonQuery, body: applicationPatch, response: { 200: { $ref: 'application#' }, ...errorResponses(404) } },
    handler: async (request) => {
      const row = await service.update(request.params.applicationId, request.body);
      const summary = (await service.summaries([row.id])).get(row.id);
      return toApplication(row, summary, request.query._links);
    },
  });

  app.delete<{ Params: { applicationId: string } }>('/applications/:applicationId', {
    config: { scopes: SCOPES.application.delete },
    schema: {
      tags,
      summary: 'Deletes an application with its integrations and API tokens, closing their connections',
      params,
      querystring: commonQuery,
      response: { 200: { $ref: 'success#' }, ...errorResponses(404) },
    },
    handler: async (request) => {
      await service.delete(request.params.applicationId);
      return { success: true };
    },
  });
}
