import * as grpc from '@grpc/grpc-js';

/** Google's statuses and wording, as the peer answers them. */

/** A call's status, in the shape grpc-js sends (code and details). */
export class Failure extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}
export const fail = (code: grpc.status, details: string): Failure => new Failure(code, details);
export const notFound = (name: string) => fail(grpc.status.NOT_FOUND, `Resource not found (resource=${name.split('/').pop() ?? name}).`);
export const UNAUTHENTICATED = fail(
  grpc.status.UNAUTHENTICATED,
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
);
