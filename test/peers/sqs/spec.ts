import { newId } from '../../../src/lib/ids.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import type { SqsConfig } from '../../../src/runtime/connectors/sqs/config.js';
import { SQS_PEER_CREDENTIALS, SQS_PEER_REGION } from './fauxqs-peer.js';

/** An `sqs` integration reading `queueUrl` with the peer's credentials. */
export function sqsSpec(queueUrl: string, config: Partial<SqsConfig> = {}, topics: readonly string[] = []): IntegrationSpec {
  const base: SqsConfig = { queueUrl, region: SQS_PEER_REGION, ...SQS_PEER_CREDENTIALS };
  return { id: newId(), applicationId: newId(), name: 'test', integrationType: 'sqs', enabled: true, topics, config: { ...base, ...config }, status: {} };
}
