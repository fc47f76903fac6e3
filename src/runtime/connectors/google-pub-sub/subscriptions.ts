import type { v1 } from '@google-cloud/pubsub';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { ACK_DEADLINE_SECONDS, googlePubSubConfig, oneAttempt, pubSubClients, subscriptionId } from './config.js';
import type { GooglePubSubOptions } from './config.js';
import { describePubSubError, grpcCode, STATUS } from './reasons.js';

/** The integration's subscription to a topic, or why Pub/Sub will not give one. */
export type Ensured = { readonly subscription: string } | { readonly refused: string };

/**
 * Finds `tributary-<integrationId>-<topic>`, creating it on the topic when
 * missing. An unknown topic (or a name Pub/Sub rejects) is a refusal of that
 * topic; anything else (credentials, the network) fails the whole attempt.
 */
export async function ensureSubscription(subscriber: v1.SubscriberClient, projectId: string, integrationId: string, topic: string, timeoutMs: number): Promise<Ensured> {
  const subscription = subscriber.subscriptionPath(projectId, subscriptionId(integrationId, topic));
  try {
    await subscriber.getSubscription({ subscription }, oneAttempt(timeoutMs));
    return { subscription };
  } catch (error) {
    if (grpcCode(error) !== STATUS.NOT_FOUND) throw error;
  }
  try {
    const topicName = `projects/${projectId}/topics/${topic}`;
    await subscriber.createSubscription({ name: subscription, topic: topicName, ackDeadlineSeconds: ACK_DEADLINE_SECONDS }, oneAttempt(timeoutMs));
    return { subscription };
  } catch (error) {
    const code = grpcCode(error);
    // Another node of the cluster created it between our two calls.
    if (code === STATUS.ALREADY_EXISTS) return { subscription };
    if (code === STATUS.NOT_FOUND || code === STATUS.INVALID_ARGUMENT) return { refused: describePubSubError(error) };
    throw error;
  }
}

/**
 * Deletes every subscription the integration made (`tributary-<id>-*`, its
 * current topics and any it had before): call it when the integration is
 * deleted, not when it is disabled (SPEC §7). Rejects with Google's words.
 */
export async function deleteGooglePubSubSubscriptions(spec: IntegrationSpec, options: GooglePubSubOptions): Promise<void> {
  const config = googlePubSubConfig(spec);
  const clients = await pubSubClients(config, options);
  try {
    const prefix = clients.subscriber.subscriptionPath(config.projectId, subscriptionId(spec.id, ''));
    const [subscriptions] = await clients.subscriber.listSubscriptions({ project: `projects/${config.projectId}` }, { ...oneAttempt(options.connectTimeoutMs), autoPaginate: true });
    const ours = subscriptions.map((s) => s.name ?? '').filter((name) => name.startsWith(prefix));
    await Promise.all(
      ours.map(async (subscription) => {
        try {
          await clients.subscriber.deleteSubscription({ subscription }, oneAttempt(options.connectTimeoutMs));
        } catch (error) {
          if (grpcCode(error) !== STATUS.NOT_FOUND) throw error;
        }
      }),
    );
  } catch (error) {
    throw new Error(describePubSubError(error), { cause: error });
  } finally {
    await clients.close();
  }
}
