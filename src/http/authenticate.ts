import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { AuthService } from '../auth/service.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { holdsAny } from '../security/scopes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scopes this endpoint accepts; a route without them is public. */
    scopes?: readonly string[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The principal of an authenticated route; routes with `scopes` always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

/**
 * Authentication (401) and scope checks (403) run before validation;
 * application access runs after it, once `applicationId` is known to be well formed.
 */
export function registerAuthentication(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    const accepted = request.routeOptions.config.scopes;
    if (!accepted) return;
    const principal = await auth.authenticate(request.headers.authorization);
    if (!holdsAny(principal.scopes, accepted)) {
      throw new ForbiddenError(`The token does not hold a scope this endpoint accepts (one of: ${accepted.join(', ')})`);
    }
    request.principal = principal;
  });

  app.addHook('preHandler', (request, _reply, done) => {
    const applicationId = (request.params as { applicationId?: string } | undefined)?.applicationId;
    const principal = request.principal;
    if (!principal || applicationId === undefined) return done();
    // Application tokens are settled without I/O; only users need their ownership looked up.
    if (principal.kind === 'application') {
      done(principal.applicationId === applicationId ? undefined : new ForbiddenError('This token does not have access to that application'));
      return;
    }
    auth.checkApplicationAccess(principal, applicationId).then(() => done(), done);
  });
}
