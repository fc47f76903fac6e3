import { createSigner, createVerifier, TokenError } from 'fast-jwt';

/** What a token says about its bearer; the store decides whether it still holds. */
export type TokenClaims =
  /** `gen`: the user's password generation when the token was issued (see passwordGeneration). */
  | { readonly typ: 'user'; readonly sub: string; readonly scope: readonly string[]; readonly gen?: string; readonly exp?: number }
  | { readonly typ: 'application'; readonly sub: string; readonly app: string; readonly scope: readonly string[]; readonly exp?: number };

export type VerifyFailure = 'expired' | 'invalid';

export interface TokenCodec {
  sign(claims: TokenClaims, expiresAt?: Date | null): string;
  /** Returns the claims, or why the token is refused. */
  verify(token: string): TokenClaims | VerifyFailure;
}

export function createTokenCodec(key: Buffer): TokenCodec {
  const signer = createSigner({ key, algorithm: 'HS256', iss: 'tributary' });
  // Callers cache what verifies (AuthService); fast-jwt's own cache would hash every token again.
  const verifier = createVerifier({ key, algorithms: ['HS256'], allowedIss: 'tributary' });
  return {
    sign(claims, expiresAt) {
      const payload: Record<string, unknown> = { ...claims };
      if (expiresAt) payload.exp = Math.floor(expiresAt.getTime() / 1000);
      return signer(payload);
    },
    verify(token) {
      try {
        const payload = verifier(token) as Partial<TokenClaims> & Record<string, unknown>;
        if (typeof payload.sub !== 'string' || !Array.isArray(payload.scope)) return 'invalid';
        if (payload.typ === 'user') return payload as TokenClaims;
        if (payload.typ === 'application' && typeof payload.app === 'string') return payload as TokenClaims;
        return 'invalid';
      } catch (err) {
        if (err instanceof TokenError && err.code === TokenError.codes.expired) return 'expired';
        return 'invalid';
      }
    },
  };
}
