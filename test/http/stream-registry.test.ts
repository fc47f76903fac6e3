import { describe, expect, it } from 'vitest';
import type { AuthService } from '../../src/auth/service.js';
import { DomainEvents } from '../../src/events.js';
import { streamRegistry } from '../../src/http/stream-registry.js';
import type { ChangeFeed, RowChange } from '../../src/store/store.js';

/** A change feed the test speaks through, as another node's writes would. */
function feed(): ChangeFeed & { emit(change: RowChange): void } {
  const listeners = new Set<(change: RowChange) => void>();
  return {
    live: true,
    subscribe(change) {
      listeners.add(change);
      return () => listeners.delete(change);
    },
    emit(change) {
      for (const listener of listeners) listener(change);
    },
  };
}

describe('streamRegistry', () => {
  it("ends a user token's streams of an application another node deleted (the token itself still holds)", async () => {
    const changes = feed();
    const existing = new Set(['app-kept', 'app-gone']);
    const auth = { authenticate: async () => ({}) } as unknown as AuthService;
    const registry = streamRegistry({ auth, events: new DomainEvents(), changes, applicationExists: async (id) => existing.has(id) }, 10);
    const ended: string[] = [];
    const user = { kind: 'user', userId: 'u', scopes: ['all.User'] } as never;
    registry.admit(user, 'Bearer user', 'app-kept', (reason) => ended.push(`kept: ${reason}`));
    registry.admit(user, 'Bearer user', 'app-gone', (reason) => ended.push(`gone: ${reason}`));
    existing.delete('app-gone');
    changes.emit({ table: 'applications', id: 'app-gone' });
    changes.emit({ table: 'applications', id: 'app-kept' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toEqual(['gone: The application was deleted']);
    registry.stop();
  });
});
