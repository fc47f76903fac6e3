import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { outboundPolicy } from '../../../src/runtime/connectors/outbound.js';
import { createParticleConnector } from '../../../src/runtime/connectors/particle/connector.js';
import { createSqsConnector } from '../../../src/runtime/connectors/sqs/connector.js';
import { checkConfig } from '../../../src/resources/integrations/config-checks.js';
import { recordEvents } from '../../support/wait.js';

/**
 * SPEC §10 for the connectors that reach a host the user names (an SQS queue
 * URL, the Particle API): every address it resolves to is checked, and a
 * denied literal is refused before anything is sent. Nothing but 127.0.0.1 is
 * ever named here, and it is denied, so no connection is made at all.
 */
const denyLoopback = outboundPolicy([{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }], []);
const OPTIONS = { connectTimeoutMs: 2000, keepaliveSeconds: 5, outbound: denyLoopback };

function spec(integrationType: IntegrationSpec['integrationType'], config: Record<string, unknown>): IntegrationSpec {
  return { id: newId(), applicationId: newId(), name: 'guarded', integrationType, enabled: true, topics: [], config, status: {} };
}

describe('the outbound policy on the cloud connectors', () => {
  it('refuses an SQS queue whose host resolves to a denied address, and a denied literal', async () => {
    const config = { queueUrl: 'http://localhost:9/000000000000/q', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 's' };
    const byName = createSqsConnector(spec('sqs', config), recordEvents().events, OPTIONS);
    await expect(byName.connect()).rejects.toThrow(/Connecting to localhost \(127\.0\.0\.1\) is not allowed \(OUTBOUND_DENY 127\.0\.0\.0\/8\)/);
    await byName.close();
    const literal = createSqsConnector(spec('sqs', { ...config, queueUrl: 'http://127.0.0.1:9/000000000000/q' }), recordEvents().events, OPTIONS);
    await expect(literal.connect()).rejects.toThrow(/Connecting to 127\.0\.0\.1 is not allowed/);
    await literal.close();
  });

  it('refuses a Particle API whose host resolves to a denied address', async () => {
    const particle = createParticleConnector(spec('particle', { accessToken: 't' }), recordEvents().events, { ...OPTIONS, particleApiUrl: 'http://localhost:9' });
    await expect(particle.connect()).rejects.toThrow(/not allowed \(OUTBOUND_DENY 127\.0\.0\.0\/8\)/);
    await particle.close();
  });

  it('refuses denied literals in SQS and Event Hubs configs with a 400 naming the field', () => {
    const metadata = outboundPolicy([{ address: '169.254.0.0', prefix: 16, family: 'ipv4' }], []);
    expect(() => checkConfig('sqs', { queueUrl: 'http://169.254.169.254/latest/q', region: 'r', accessKeyId: 'a', secretAccessKey: 's' }, [], metadata)).toThrow(
      /^sqsConfig\.queueUrl: Connecting to 169\.254\.169\.254 is not allowed/,
    );
    expect(() =>
      checkConfig('azureEventHub', { hubName: 'h', consumerGroup: '$Default', connectionString: 'Endpoint=sb://169.254.169.254/;SharedAccessKeyName=k;SharedAccessKey=v' }, [], metadata),
    ).toThrow(/^azureEventHubConfig\.connectionString: Connecting to 169\.254\.169\.254 is not allowed/);
    expect(() => checkConfig('azureEventHub', { hubName: 'h', consumerGroup: '$Default', hostName: '169.254.169.254' }, [], metadata)).toThrow(/azureEventHubConfig\.hostName/);
    expect(() => checkConfig('sqs', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q', region: 'r', accessKeyId: 'a', secretAccessKey: 's' }, [], metadata)).not.toThrow();
  });
});
