import { PubSub, v1 } from '@google-cloud/pubsub';
import type { CallOptions } from '@google-cloud/pubsub';
import { ConnectError } from '../../connector.js';
import type { ConnectorOptions } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';

/** `googlePubSubConfig` as the API stores it (SPEC §7): `keyJson` is a service account key file's JSON. */
export interface GooglePubSubConfig {
  projectId: string;
  keyJson: string;
}

/**
 * The endpoint option. Unset, Google's SDK reads PUBSUB_EMULATOR_HOST (then
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB) itself; a host that is not
 * `*.googleapis.com` is spoken to as an emulator (plain-text gRPC, no credentials).
 */
export interface GooglePubSubOptions extends ConnectorOptions {
  readonly pubSubApiEndpoint?: string;
}

/** Seconds a delivered message may wait for retention before Pub/Sub delivers it again. */
export const ACK_DEADLINE_SECONDS = 60;

export function googlePubSubConfig(spec: IntegrationSpec): GooglePubSubConfig {
  return spec.config as unknown as GooglePubSubConfig;
}

/** The integration's own subscription to `topic` (SPEC §7). */
export function subscriptionId(integrationId: string, topic: string): string {
  return `tributary-${integrationId}-${topic}`;
}

/**
 * One attempt per call: `retry: null` turns gax's retries off, so the
 * supervisor's backoff is the only retry; the timeout bounds the attempt.
 */
export function oneAttempt(timeoutMs: number): CallOptions {
  return { retry: null, timeout: timeoutMs };
}

export interface PubSubClients {
  readonly subscriber: v1.SubscriberClient;
  readonly publisher: v1.PublisherClient;
  close(): Promise<void>;
}

/**
 * The SDK's generated clients, configured by the SDK's own PubSub object
 * (endpoint, emulator detection, credentials). We use the generated clients
 * rather than Subscription: its message stream reconnects by itself and
 * acknowledges on its own schedule; ours must do neither.
 */
export async function pubSubClients(config: GooglePubSubConfig, options: GooglePubSubOptions): Promise<PubSubClients> {
  let credentials: { client_email?: string; private_key?: string } | undefined;
  if (config.keyJson) {
    try {
      credentials = JSON.parse(config.keyJson) as typeof credentials;
    } catch {
      throw new ConnectError('The service account key (keyJson) is not valid JSON');
    }
  }
  const pubsub = new PubSub({ projectId: config.projectId, credentials, apiEndpoint: options.pubSubApiEndpoint });
  const clientConfig = await pubsub.getClientConfig();
  // The SDK parses the endpoint's port to a number itself; its type still allows the string it came from.
  const settings = { ...clientConfig, port: clientConfig.port === undefined ? undefined : Number(clientConfig.port) };
  const subscriber = new v1.SubscriberClient(settings);
  const publisher = new v1.PublisherClient(settings);
  return {
    subscriber,
    publisher,
    close: async () => {
      await Promise.allSettled([subscriber.close(), publisher.close()]);
    },
  };
}
