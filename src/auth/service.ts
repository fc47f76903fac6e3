import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { DomainEvents } from '../events.js';
import { Lru } from '../lib/lru.js';
import { burnPasswordCheck, passwordGeneration, verifyPassword } from '../security/passwords.js';
import type { TokenClaims, TokenCodec } from '../security/tokens.js';
import type { Store, TokenRow } from '../store/store.js';
import type { Principal } from './principal.js';

/** How long a cached token or ownership answer may be trusted before the store is asked again (other nodes may have changed it). */
const CACHE_TTL_MS = 5_000;
/**
 * A user's password generation is asked again sooner: `users set-password`
 * runs in another process, which has no way to tell this one, and the user's
 * streams must end within a second of it (SPEC §10; they are rechecked every 500 ms).
 */
const USER_CACHE_TTL_MS = 500;

interface Cached<T> {
  readonly value: T;
  readonly at: number;
}

export interface AuthServiceOptions {
  readonly userTokenTtlSeconds: number;
  /** Cap on the lifetime of a user token, whether the default or asked for at login (SPEC §10). */
  readonly userTokenTtlMaxSeconds?: number;
  readonly now?: () => number;
}

/**
 * Logs users in and turns bearer tokens into principals. Token signatures are
 * checked by the codec; whether a token still holds (active, not deleted, not
 * expired, user still there) is checked against the store, cached briefly and
 * invalidated at once when this node changes a token or application.
 */
export class AuthService {
  private readonly tokens = new Lru<string, Cached<TokenRow | null>>(50_000);
  /** Each user's password generation, or null when the user no longer exists. */
  private readonly users = new Lru<string, Cached<string | null>>(10_000);
  private readonly owners = new Lru<string, Cached<string | null>>(50_000);
  /** Verified token strings, so a signature is checked once per token rather than per request. */
  private readonly verified = new Lru<string, TokenClaims>(20_000);
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly codec: TokenCodec,
    events: DomainEvents,
    private readonly options: AuthServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    events.on('tokenChanged', ({ id }) => this.tokens.delete(id));
    // Other nodes' changes (PostgreSQL): revoked tokens and deleted applications take effect here too.
    store.changes?.subscribe(
      ({ table, id }) => {
        if (table === 'api_tokens') this.tokens.delete(id);
        if (table === 'users') this.users.delete(id);
        if (table === 'applications') this.forgetApplication(id);
      },
      () => {
        this.tokens.clear();
        this.owners.clear();
        this.users.clear();
      },
    );
    events.on('applicationDeleted', ({ id }) => this.forgetApplication(id));
  }

  async login(email: string, password: string, scopes: readonly string[] | undefined, ttlSeconds: number | undefined): Promise<{ userId: string; token: string }> {
    const user = await this.store.users.findByEmail(email);
    if (!user) {
      await burnPasswordCheck(password);
      throw new UnauthorizedError('Invalid email or password');
    }
    if (!(await verifyPassword(password, user.passwordHash))) throw new UnauthorizedError('Invalid email or password');
    const asked = ttlSeconds && ttlSeconds > 0 ? ttlSeconds : this.options.userTokenTtlSeconds;
    const ttl = Math.min(asked, this.options.userTokenTtlMaxSeconds ?? asked);
    const gen = passwordGeneration(user.passwordHash);
    const token = this.codec.sign({ typ: 'user', sub: user.id, scope: scopes ?? ['all.User'], gen }, new Date(this.now() + ttl * 1000));
    return { userId: user.id, token };
  }

  /** Signs the token string of a newly created application API token. */
  signApplicationToken(row: TokenRow): string {
    return this.codec.sign(
      { typ: 'application', sub: row.id, app: row.applicationId, scope: row.scope },
      row.expirationDate ? new Date(row.expirationDate) : null,
    );
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new UnauthorizedError('An Authorization header with a Bearer token is required');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"');
    const claims = this.verify(match[1]!);

    if (claims.typ === 'user') {
      const generation = await this.userGeneration(claims.sub);
      if (generation === null) throw new UnauthorizedError('The token belongs to a user that no longer exists');
      // Tokens issued before the password last changed are revoked; so are those from before tokens carried a generation.
      if (claims.gen === undefined) throw new UnauthorizedError('The token is from an older version of the server; log in again');
      if (claims.gen !== generation) throw new UnauthorizedError("The token has been revoked: the user's password has changed since it was issued");
      return { kind: 'user', userId: claims.sub, scopes: claims.scope };
    }
    const row = await this.tokenRow(claims.sub);
    if (!row || row.applicationId !== claims.app) throw new UnauthorizedError('The token has been deleted');
    if (row.status !== 'active') throw new UnauthorizedError('The token is inactive');
    if (row.expirationDate && Date.parse(row.expirationDate) <= this.now()) throw new UnauthorizedError('The token has expired');
    return { kind: 'application', applicationId: row.applicationId, tokenId: row.id, scopes: row.scope };
  }

  /**
   * May this principal act on this application? Application tokens reach only
   * their own (403 elsewhere); users reach the applications they own (others,
   * like missing ones, are 404 so their existence is not revealed).
   */
  async checkApplicationAccess(principal: Principal, applicationId: string): Promise<void> {
    if (principal.kind === 'application') {
      if (principal.applicationId !== applicationId) throw new ForbiddenError('This token does not have access to that application');
      return;
    }
    const owner = await this.ownerOf(applicationId);
    if (owner !== principal.userId) throw new NotFoundError('Application was not found');
  }

  private verify(token: string): TokenClaims {
    let claims = this.verified.get(token);
    if (!claims) {
      const result = this.codec.verify(token);
      if (result === 'expired') throw new UnauthorizedError('The token has expired');
      if (result === 'invalid') throw new UnauthorizedError('The token is invalid');
      claims = result;
      this.verified.set(token, claims);
    }
    if (claims.exp !== undefined && claims.exp * 1000 <= this.now()) throw new UnauthorizedError('The token has expired');
    return claims;
  }

  /** Forgets what is known of a user, so a new password revokes their tokens here at once. */
  forgetUser(id: string): void {
    this.users.delete(id);
  }

  private forgetApplication(id: string): void {
    this.owners.delete(id);
    this.tokens.deleteWhere((cached) => cached.value?.applicationId === id);
  }

  private async cached<T>(cache: Lru<string, Cached<T>>, key: string, load: () => Promise<T>, ttlMs = CACHE_TTL_MS): Promise<T> {
    const hit = cache.get(key);
    const now = this.now();
    if (hit && now - hit.at < ttlMs) return hit.value;
    const value = await load();
    cache.set(key, { value, at: now });
    return value;
  }

  private userGeneration(id: string): Promise<string | null> {
    return this.cached(this.users, id, async () => {
      const user = await this.store.users.findById(id);
      return user ? passwordGeneration(user.passwordHash) : null;
    }, USER_CACHE_TTL_MS);
  }

  private tokenRow(id: string): Promise<TokenRow | null> {
    return this.cached(this.tokens, id, async () => (await this.store.tokens.findById(id)) ?? null);
  }

  private ownerOf(applicationId: string): Promise<string | null> {
    return this.cached(this.owners, applicationId, async () => (await this.store.applications.findById(applicationId))?.ownerId ?? null);
  }
}
