import { StoreUnavailableError } from '../../src/errors.js';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationRow, Store } from '../../src/store/store.js';

/** One store call made by the load, and how it ended (or that it has not, yet). */
export interface Call {
  readonly kind: 'insert' | 'list';
  readonly startedAt: number;
  settledAt?: number;
  outcome?: 'ok' | 'unavailable' | 'other';
  error?: unknown;
}

export interface Load {
  readonly calls: readonly Call[];
  /** Stops issuing calls and waits for those under way (as long as they take: a hang shows as the test's timeout). */
  stop(): Promise<void>;
  /** Calls started at or after `t` (performance.now()). */
  since(t: number): Call[];
}

/** A user and an application for the load's integrations to belong to. */
export async function seed(store: Store): Promise<string> {
  const now = new Date().toISOString();
  const ownerId = newId();
  await store.users.insert({ id: ownerId, email: `${ownerId}@example.com`, passwordHash: 'x', creationDate: now, lastUpdated: now });
  const applicationId = newId();
  await store.applications.insert({ id: applicationId, ownerId, name: 'outage', description: null, attributes: {}, creationDate: now, lastUpdated: now });
  return applicationId;
}

export function integrationRow(applicationId: string): IntegrationRow {
  const now = new Date().toISOString();
  const id = newId();
  return { id, applicationId, name: `load-${id}`, integrationType: 'mqtt', enabled: false, topics: [], credentialName: null, config: {}, secrets: null, status: {}, creationDate: now, lastUpdated: now };
}

/**
 * About `perSecond` calls a second, inserts and list reads in turn, each
 * started on a timer whatever the others are doing: a call that hangs does
 * not slow the load down, it stays in `calls` without an outcome.
 */
export function startLoad(store: Store, applicationId: string, perSecond = 100): Load {
  const calls: Call[] = [];
  const under: Promise<void>[] = [];
  let n = 0;
  const issue = () => {
    const kind = n++ % 2 === 0 ? 'insert' : 'list';
    const call: Call = { kind, startedAt: performance.now() };
    calls.push(call);
    const work =
      kind === 'insert'
        ? store.integrations.insert(integrationRow(applicationId))
        : store.integrations.list(applicationId, { sortField: 'name', sortDirection: 'desc', page: 0, perPage: 20 });
    under.push(
      work.then(
        () => {
          call.outcome = 'ok';
        },
        (error: unknown) => {
          call.outcome = error instanceof StoreUnavailableError && error.statusCode === 503 ? 'unavailable' : 'other';
          call.error = error;
        },
      ).finally(() => {
        call.settledAt = performance.now();
      }),
    );
  };
  const timer = setInterval(issue, 1000 / perSecond);
  return {
    calls,
    async stop() {
      clearInterval(timer);
      await Promise.all(under);
    },
    since: (t) => calls.filter((c) => c.startedAt >= t),
  };
}

/** How long a call took, or has been waiting so far. */
export const duration = (call: Call, now = performance.now()) => (call.settledAt ?? now) - call.startedAt;
