/** Who is making a request, as established from their token. */
export type Principal =
  | { readonly kind: 'user'; readonly userId: string; readonly scopes: readonly string[] }
  | { readonly kind: 'application'; readonly applicationId: string; readonly tokenId: string; readonly scopes: readonly string[] };

/** A stable key for per-caller rate limiting. */
export function principalKey(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.userId}` : `token:${principal.tokenId}`;
}
