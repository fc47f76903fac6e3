/**
 * The requests of `npm run bench:api`. Each scenario rotates over the seeded
 * data so the server cannot answer from one hot row, and authenticates the
 * way a deployed client does: with the application API token of the
 * application it addresses.
 */
import type { RequestSpec } from './lib/load.js';
import { integrationBody, QUARTER_GLOB, type SeededApplication } from './lib/seed.js';

export const SCENARIO_IDS = ['getOne', 'list', 'post'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface Scenario {
  readonly id: ScenarioId;
  readonly name: string;
  /** The next request to send; successive calls rotate over applications, ids and names. */
  readonly next: () => RequestSpec;
  /** Judges one answer from Tributary before the load: a reason it is wrong, or undefined. */
  readonly check: (status: number, body: unknown) => string | undefined;
}

function auth(app: SeededApplication): Record<string, string> {
  return { authorization: `Bearer ${app.token}`, accept: 'application/json' };
}

function getOne(apps: readonly SeededApplication[]): Scenario {
  // Interleaved across applications, so consecutive requests use different tokens and rows far apart.
  const targets: { app: SeededApplication; id: string }[] = [];
  const longest = Math.max(...apps.map((app) => app.integrationIds.length));
  for (let k = 0; k < longest; k++) {
    for (const app of apps) {
      const id = app.integrationIds[k];
      if (id !== undefined) targets.push({ app, id });
    }
  }
  let i = 0;
  let last = '';
  return {
    id: 'getOne',
    name: 'GET one integration',
    next: () => {
      const { app, id } = targets[i++ % targets.length]!;
      last = id;
      return { method: 'GET', path: `/applications/${app.id}/integrations/${id}`, headers: auth(app) };
    },
    check: (status, body) => {
      if (status !== 200) return `status ${status}`;
      return (body as { id?: unknown }).id === last ? undefined : `answered with another integration than ${last}`;
    },
  };
}

function list(apps: readonly SeededApplication[]): Scenario {
  let i = 0;
  let expected = 0;
  const query = `perPage=100&filterField=name&filter=${encodeURIComponent(QUARTER_GLOB)}`;
  return {
    id: 'list',
    name: `GET list, perPage=100, filter ${QUARTER_GLOB}`,
    next: () => {
      const app = apps[i++ % apps.length]!;
      // The glob matches the k-th integration of an application when k % 4 === 2.
      expected = Math.floor((app.integrationIds.length + 1) / 4);
      return { method: 'GET', path: `/applications/${app.id}/integrations?${query}`, headers: auth(app) };
    },
    check: (status, body) => {
      if (status !== 200) return `status ${status}`;
      const page = body as { count?: unknown; totalCount?: unknown };
      if (page.totalCount !== expected) return `totalCount ${String(page.totalCount)}, expected ${expected}`;
      return page.count === Math.min(100, expected) ? undefined : `count ${String(page.count)}, expected ${Math.min(100, expected)}`;
    },
  };
}

function post(apps: readonly SeededApplication[]): Scenario {
  let i = 0;
  return {
    id: 'post',
    name: 'POST a disabled mqtt integration',
    next: () => {
      const n = i++;
      const app = apps[n % apps.length]!;
      return {
        method: 'POST',
        path: `/applications/${app.id}/integrations`,
        headers: { ...auth(app), 'content-type': 'application/json' },
        body: JSON.stringify(integrationBody('mqtt', `bench-post-${n}`)),
      };
    },
    check: (status, body) => {
      if (status !== 201) return `status ${status}`;
      return typeof (body as { id?: unknown }).id === 'string' ? undefined : 'no id in the answer';
    },
  };
}

export function apiScenarios(apps: readonly SeededApplication[]): Scenario[] {
  return [getOne(apps), list(apps), post(apps)];
}

/** Sends one request of the scenario with fetch, so a broken scenario fails with the server's own message. */
export async function preflight(baseUrl: string, scenario: Scenario): Promise<string | undefined> {
  const spec = scenario.next();
  const response = await fetch(baseUrl + spec.path, { method: spec.method, headers: spec.headers, body: spec.body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${spec.method} ${spec.path}: status ${response.status}, not JSON: ${text.slice(0, 200)}`;
  }
  const problem = scenario.check(response.status, body);
  return problem === undefined ? undefined : `${spec.method} ${spec.path}: ${problem}: ${text.slice(0, 300)}`;
}
