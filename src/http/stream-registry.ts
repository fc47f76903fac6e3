import { createHash } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import type { AuthService } from '../auth/service.js';
import { TooManyRequestsError, UnauthorizedError } from '../errors.js';
import type { DomainEvents } from '../events.js';
import type { ChangeFeed } from '../store/store.js';

/** How often every open stream's token is checked again (revoked, deactivated, expired, user gone). */
const RECHECK_MS = 500;

interface Entry {
  readonly key: string;
  readonly authorization: string;
  readonly applicationId: string;
  end(reason: string): void;
}

export interface StreamRegistryOptions {
  /** STREAMS_PER_TOKEN: open streams allowed per token. */
  readonly perToken: number;
  /** Whether the Authorization header that opened a stream still authenticates, asked afresh. */
  readonly stillValid: (authorization: string) => Promise<boolean>;
}

/**
 * Every open stream (messages, statuses), by the token that opened it. Caps
 * the streams one token may hold (SPEC §10) and ends a stream within a second
 * of its token losing its hold (revoked, deactivated, expired, deleted, the
 * user's password changed) or its application being deleted.
 */
export class StreamRegistry {
  private readonly byKey = new Map<string, Set<Entry>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly options: StreamRegistryOptions) {}

  /** Admits a stream for this principal, or throws 429; returns the function that releases it. */
  admit(principal: Principal, authorization: string, applicationId: string, end: (reason: string) => void): () => void {
    const key = principal.kind === 'application' ? `token:${principal.tokenId}` : `user:${createHash('sha256').update(authorization).digest('base64url')}`;
    let entries = this.byKey.get(key);
    if ((entries?.size ?? 0) >= this.options.perToken) {
      throw new TooManyRequestsError(`This token already holds ${this.options.perToken} open streams (STREAMS_PER_TOKEN)`, 1);
    }
    if (!entries) this.byKey.set(key, (entries = new Set()));
    const entry: Entry = { key, authorization, applicationId, end };
    entries.add(entry);
    this.arm();
    return () => this.release(entry);
  }

  /** Ends every stream of the application (it was deleted). */
  endApplication(applicationId: string, reason: string): void {
    for (const entries of this.byKey.values()) {
      for (const entry of [...entries]) if (entry.applicationId === applicationId) entry.end(reason);
    }
  }

  /** Whether any open stream belongs to the application. */
  hasApplication(applicationId: string): boolean {
    for (const entries of this.byKey.values()) for (const entry of entries) if (entry.applicationId === applicationId) return true;
    return false;
  }

  /** Checks every open stream's token now (a token changed on this node). */
  recheck(): void {
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get size(): number {
    let n = 0;
    for (const entries of this.byKey.values()) n += entries.size;
    return n;
  }

  private release(entry: Entry): void {
    const entries = this.byKey.get(entry.key);
    if (!entries) return;
    entries.delete(entry);
    if (entries.size === 0) this.byKey.delete(entry.key);
    if (this.byKey.size === 0) this.stop();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), RECHECK_MS);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const entries of [...this.byKey.values()]) {
        const first = entries.values().next().value;
        if (!first) continue;
        let valid: boolean;
        try {
          valid = await this.options.stillValid(first.authorization);
        } catch {
          // The store cannot say (it is down): streams stay open rather than flap.
          continue;
        }
        if (!valid) for (const entry of [...entries]) entry.end('The token that opened this stream is no longer valid');
      }
    } finally {
      this.checking = false;
    }
  }
}

export interface StreamRegistrySources {
  readonly auth: AuthService;
  readonly events: DomainEvents;
  readonly changes?: ChangeFeed | undefined;
  /** Asked when another node changed an application this node has streams of: deleted, they end. */
  readonly applicationExists?: (applicationId: string) => Promise<boolean>;
}

/** The registry of an app: it hears about token and application changes made here and, through the change feed, elsewhere. */
export function streamRegistry(sources: StreamRegistrySources, perToken: number): StreamRegistry {
  const registry = new StreamRegistry({
    perToken,
    stillValid: async (authorization) => {
      try {
        await sources.auth.authenticate(authorization);
        return true;
      } catch (err) {
        if (err instanceof UnauthorizedError) return false;
        throw err;
      }
    },
  });
  sources.events.on('tokenChanged', () => registry.recheck());
  sources.events.on('applicationDeleted', ({ id }) => registry.endApplication(id, 'The application was deleted'));
  sources.changes?.subscribe(
    ({ table, id }) => {
      if (table === 'api_tokens' || table === 'applications') registry.recheck();
      // A user's token outlives the application it read: the application itself must be asked about.
      if (table === 'applications' && sources.applicationExists && registry.hasApplication(id)) {
        sources.applicationExists(id).then(
          (exists) => exists || registry.endApplication(id, 'The application was deleted'),
          () => {},
        );
      }
    },
    () => registry.recheck(),
  );
  return registry;
}
