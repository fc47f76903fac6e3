import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/common-schemas.js';
import { links, paths } from '../../http/links.js';
import { collectionQuery, commonQuery, echoQuery, paramsSchema, toListQuery, type CollectionQuery, type CommonQuery } from '../../http/query.js';
import { SCOPES } from '../../security/scopes.js';
import type { TokenSortField } from '../../store/store.js';
import { toApiToken } from './mapping.js';
import { apiToken, apiTokens, tokenPatch, tokenPost, type TokenInput } from './schemas.js';
import type { TokenService } from './service.js';

const tags = ['Application API Tokens'];
const listQuery = collectionQuery(['name', 'status', 'id', 'creationDate', 'lastUpdated', 'expirationDate'], 'name', ['name', 'status']);
const collectionParams = paramsSchema('applicationId');
const itemParams = paramsSchema('applicationId', 'apiTokenId');

type ItemParams = { applicationId: string; apiTokenId: string };

export function tokenRoutes(app: FastifyInstance, service: TokenService): void {
  app.addSchema(apiToken);
  app.addSchema(apiTokens);

  app.get<{ Params: { applicationId: string }; Querystring: CollectionQuery<TokenSortField> }>('/applications/:applicationId/tokens', {
    config: { scopes: SCOPES.applicationApiTokens.get },
    schema: { tags, summary: 'Returns the API tokens of an application', params: collectionParams, querystring: listQuery, response: { 200: { $ref: 'apiTokens#' }, ...errorResponses(404) } },
    handler: async (request) => {
      const { applicationId } = request.params;
      const list = toListQuery(request.query);
      const page = await service.list(applicationId, list);
      return {
        items: page.items.map((row) => toApiToken(row, request.query._links)),
        count: page.items.length,
        totalCount: page.totalCount,
        ...echoQuery(list),
        ownerId: applicationId,
        ownerType: 'application',
        _type: 'apiTokens',
        ...links(request.query._links, { self: paths.tokens(applicationId), application: paths.application(applicationId) }),
      };
    },
  });

  app.post<{ Params: { applicationId: string }; Body: TokenInput; Querystring: CommonQuery }>('/applications/:applicationId/tokens', {
    config: { scopes: SCOPES.applicationApiTokens.post },
    schema: {
      tags,
      summary: 'Creates an API token for an application; the response carries the token string, shown only this once',
      params: collectionParams,
      querystring: commonQuery,
      body: tokenPost,
      response: { 201: { $ref: 'apiToken#' }, ...errorResponses(404) },
    },
    handler: async (request, reply) => {
      const { row, token } = await service.create(request.params.applicationId, principalOf(request), request.body);
      return reply.code(201).send(toApiToken(row, request.query._links, token));
    },
  });

  app.get<{ Params: ItemParams; Querystring: CommonQuery }>('/applications/:applicationId/tokens/:apiTokenId', {
    config: { scopes: SCOPES.applicationApiToken.get },
    schema: { tags, summary: 'Retrieves information on an API token', params: itemParams, querystring: commonQuery, response: { 200: { $ref: 'apiToken#' }, ...errorResponses(404) } },
    handler: async (request) => toApiToken(await service.get(request.params.applicationId, request.params.apiTokenId), request.query._links),
  });

  app.patch<{ Params: ItemParams; Body: TokenInput; Querystring: CommonQuery }>('/applications/:applicationId/tokens/:apiTokenId', {
    config: { scopes: SCOPES.applicationApiToken.patch },
    schema: {
      tags,
      summary: 'Updates an API token; status "inactive" revokes it at once',
      params: itemParams,
      querystring: commonQuery,
      body: tokenPatch,
      response: { 200: { $ref: 'apiToken#' }, ...errorResponses(404) },
    },
    handler: async (request) => toApiToken(await service.update(request.params.applicationId, request.params.apiTokenId, request.body, principalOf(request)), request.query._links),
  });

  app.delete<{ Params: ItemParams }>('/applications/:applicationId/tokens/:apiTokenId', {
    config: { scopes: SCOPES.applicationApiToken.delete },
    schema: { tags, summary: 'Deletes (and so revokes) an API token', params: itemParams, querystring: commonQuery, response: { 200: { $ref: 'success#' }, ...errorResponses(404) } },
    handler: async (request) => {
      await service.delete(request.params.applicationId, request.params.apiTokenId, principalOf(request));
      return { success: true };
    },
  });
}
