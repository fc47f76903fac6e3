import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadGatewayError, ServiceUnavailableError } from '../../errors.js';

/** Set on a publish carried to the node holding the integration: that node publishes itself, never carries it on again. */
export const FORWARDED_HEADER = 'x-tributary-forwarded';

/**
 * Carries a publish to the node holding the integration's connection (SPEC
 * §8) with the caller's own credentials, and answers what that node answered.
 */
export async function forwardPublish(holder: { node: string; url: string }, request: FastifyRequest, reply: FastifyReply, timeoutMs: number): Promise<FastifyReply> {
  let response: Response;
  try {
    response = await fetch(new URL(request.url, holder.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '', [FORWARDED_HEADER]: '1' },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new ServiceUnavailableError(`The node holding the integration (${holder.node}) could not be reached: ${reason}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null) throw new BadGatewayError(`The node holding the integration (${holder.node}) answered ${response.status} without a JSON body`);
  return reply.code(response.status).send(body);
}
