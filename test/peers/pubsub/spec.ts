import { newId } from '../../../src/lib/ids.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import type { GooglePubSubConfig } from '../../../src/runtime/connectors/google-pub-sub/config.js';

export const PUBSUB_TEST_PROJECT = 'tributary-test';

/** A `googlePubSub` integration on the test project; the key is never read by an emulator. */
export function pubSubSpec(topics: readonly string[] = [], config: Partial<GooglePubSubConfig> = {}): IntegrationSpec {
  const base: GooglePubSubConfig = { projectId: PUBSUB_TEST_PROJECT, keyJson: '{"type":"service_account","client_email":"test@example.iam.gserviceaccount.com"}' };
  return { id: newId(), applicationId: newId(), name: 'test', integrationType: 'googlePubSub', enabled: true, topics, config: { ...base, ...config }, status: {} };
}
