import { EventHubConsumerClient, EventHubProducerClient } from '@azure/event-hubs';
import type { RetryOptions } from '@azure/event-hubs';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import type { Target } from '../socket-reasons.js';

/** `azureEventHubConfig` as the API stores it (SPEC §7): exactly one of connectionString and hostName. */
export interface AzureEventHubConfig {
  hubName: string;
  consumerGroup: string;
  connectionString?: string;
  hostName?: string;
}

/** The integration's config; the API validated it against the type's schema before storing it. */
export function azureEventHubConfig(spec: IntegrationSpec): AzureEventHubConfig {
  return spec.config as unknown as AzureEventHubConfig;
}

export interface Clients {
  readonly consumer: EventHubConsumerClient;
  readonly producer: EventHubProducerClient;
}

/**
 * The SDK's two clients for one connect() attempt. One attempt per operation
 * (`maxRetries: 0`): the supervisor's backoff is the only retry. A connection
 * string with `UseDevelopmentEmulator=true` makes the SDK speak plain AMQP
 * (port 5672 unless the Endpoint names one). Throws the SDK's TypeError on a
 * malformed connection string (its message quotes the key: word it before showing it).
 */
export function eventHubClients(config: AzureEventHubConfig, connectionString: string, timeoutMs: number): Clients {
  const retryOptions: RetryOptions = { maxRetries: 0, timeoutInMs: timeoutMs };
  return {
    consumer: new EventHubConsumerClient(config.consumerGroup, connectionString, config.hubName, { retryOptions }),
    producer: new EventHubProducerClient(connectionString, config.hubName, { retryOptions }),
  };
}

/** How long a link's end waits for the SDK to close its links and connections politely. */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes both clients once `readersClosed` settled. A healthy service answers
 * the detaches and closes at once; a link that is gone is not waited for past
 * the grace (the SDK would wait for its operation timeout).
 */
export function closeClients(clients: Clients, readersClosed: Promise<void> | undefined): Promise<void> {
  const closed = (readersClosed ?? Promise.resolve()).then(() => Promise.allSettled([clients.consumer.close(), clients.producer.close()]));
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_GRACE_MS).unref();
    void closed.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Host and port of the connection string's Endpoint, for network errors that do not name them. */
export function endpointTarget(connectionString: string): Target | undefined {
  const endpoint = /(?:^|;)\s*Endpoint\s*=\s*([^;]+)/i.exec(connectionString)?.[1];
  if (endpoint === undefined) return undefined;
  try {
    const url = new URL(endpoint.trim());
    const emulator = /(?:^|;)\s*UseDevelopmentEmulator\s*=\s*true/i.test(connectionString);
    return { host: url.hostname, port: url.port === '' ? (emulator ? 5672 : 5671) : Number(url.port) };
  } catch {
    return undefined;
  }
}
