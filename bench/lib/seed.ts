/**
 * Seeds a server through its public API, as a client would: applications,
 * one application API token each, and integrations of every type spread
 * evenly across them. Everything is created disabled so that a running
 * server does not try to connect to the made-up brokers.
 */
import type { ApiClient } from './api-client.js';
import { runPool } from './pool.js';

export const INTEGRATION_TYPES = ['mqtt', 'websocket', 'particle', 'sqs', 'googlePubSub', 'azureEventHub'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/**
 * The last word of every seeded name; the k-th integration of an application
 * gets NAME_WORDS[k % 4], so each word names exactly a quarter of it.
 */
export const NAME_WORDS = ['ash', 'birch', 'cedar', 'pine'] as const;

/** Matches the names ending in "cedar": a quarter of each application's seeded integrations. */
export const QUARTER_GLOB = 'sensor-*-c*';

/** A valid, disabled integration body of the given type. */
export function integrationBody(type: IntegrationType, name: string): Record<string, unknown> {
  const common = { name, integrationType: type, enabled: false };
  switch (type) {
    case 'mqtt':
      return {
        ...common,
        topics: ['sensors/+/telemetry', 'alerts/#'],
        mqttConfig: { host: 'broker.example.com', port: 8883, protocol: 'mqtts', clientId: name, username: 'bench', password: 'not-a-real-password' },
      };
    case 'websocket':
      return { ...common, websocketConfig: { url: 'wss://stream.example.com/feed', headers: [{ headerKey: 'x-bench', headerValue: name }] } };
    case 'particle':
      return { ...common, particleConfig: { accessToken: 'particle-token-for-bench', productSlugOrId: 'bench-product' } };
    case 'sqs':
      return {
        ...common,
        sqsConfig: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench', region: 'us-east-1', accessKeyId: 'AKIABENCH', secretAccessKey: 'bench-secret-key' },
      };
    case 'googlePubSub':
      return { ...common, googlePubSubConfig: { projectId: 'bench-project', keyJson: '{"type":"service_account","project_id":"bench-project"}' } };
    case 'azureEventHub':
      return {
        ...common,
        azureEventHubConfig: { hubName: 'bench', consumerGroup: '$Default', connectionString: 'Endpoint=sb://bench.servicebus.windows.net/;SharedAccessKeyName=bench;SharedAccessKey=bench' },
      };
  }
}

export interface SeededApplication {
  readonly id: string;
  /** An application API token (scope all.Application) for this application only. */
  readonly token: string;
  readonly integrationIds: readonly string[];
}

export interface SeedOptions {
  readonly applications: number;
  readonly integrations: number;
  /** Requests in flight while creating integrations. */
  readonly concurrency: number;
}

/** Seeds with a user's client; integration n goes to application n % applications. */
export async function seed(user: ApiClient, options: SeedOptions): Promise<SeededApplication[]> {
  const apps = await runPool(options.applications, options.concurrency, async (a) => {
    const { id } = await user.post<{ id: string }>('/applications', { name: `bench-app-${a}`, description: 'created by the benchmark' });
    const { token } = await user.post<{ token: string }>(`/applications/${id}/tokens`, { name: 'bench' });
    return { id, token };
  });

  const created = await runPool(options.integrations, options.concurrency, async (n) => {
    const app = apps[n % apps.length]!;
    const k = Math.floor(n / apps.length);
    const type = INTEGRATION_TYPES[k % INTEGRATION_TYPES.length]!;
    const body = integrationBody(type, `sensor-${n}-${NAME_WORDS[k % NAME_WORDS.length]}`);
    const { id } = await user.post<{ id: string }>(`/applications/${app.id}/integrations`, body);
    return id;
  });

  return apps.map((app, a) => ({ ...app, integrationIds: created.filter((_, n) => n % apps.length === a) }));
}
