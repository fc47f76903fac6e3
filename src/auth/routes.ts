import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponses } from '../http/common-schemas.js';
import { commonQuery } from '../http/query.js';
import { foldCase } from '../lib/glob.js';
import type { AuthService } from './service.js';

const SCOPE_NAME = '^(all\\.(User|Application|Device|Organization)(\\.(read|cli|bounded))?|[a-z][A-Za-z]{0,63}\\.(\\*|[a-z][A-Za-z]{0,63}))$';

const userCredentials = {
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email', maxLength: 1024 },
    password: { type: 'string', minLength: 8, maxLength: 2048 },
    twoFactorCode: { type: 'string', maxLength: 2048 },
    requestedScopes: {
      type: 'array',
      uniqueItems: true,
      maxItems: 500,
      items: { type: 'string', maxLength: 1024, pattern: SCOPE_NAME, 'x-message': 'is not a scope name (e.g. all.User, all.User.read, integrations.get)' },
    },
    tokenTTL: { type: 'integer', minimum: 0, maximum: 10 * 365 * 24 * 3600 },
  },
  additionalProperties: false,
  required: ['email', 'password'],
} as const;

const authedUser = {
  $id: 'authedUser',
  type: 'object',
  properties: { userId: { type: 'string' }, token: { type: 'string' } },
  required: ['userId', 'token'],
} as const;

interface Credentials {
  email: string;
  password: string;
  requestedScopes?: string[];
  tokenTTL?: number;
}

export interface LoginThrottle {
  /** Attempts allowed per email and client address per minute. */
  readonly max: number;
}

export function authRoutes(app: FastifyInstance, auth: AuthService, throttle: LoginThrottle): void {
  app.addSchema(authedUser);
  app.post<{ Body: Credentials }>('/auth/user', {
    config: {
      rateLimit: {
        max: throttle.max,
        timeWindow: 60_000,
        hook: 'preHandler',
        keyGenerator: (request: FastifyRequest) => `login|${request.ip}|${foldCase((request.body as Partial<Credentials> | undefined)?.email ?? '')}`,
      },
    },
    schema: {
      tags: ['Auth'],
      summary: 'Authenticates a user; the token reaches every application of the user (scope all.User unless requestedScopes narrows it)',
      security: [],
      querystring: commonQuery,
      body: userCredentials,
      response: { 200: { $ref: 'authedUser#' }, ...errorResponses(429) },
    },
    handler: async (request) => {
      const { email, password, requestedScopes, tokenTTL } = request.body;
      return auth.login(email, password, requestedScopes, tokenTTL);
    },
  });
}
