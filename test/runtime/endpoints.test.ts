import { describe, expect, it } from 'vitest';
import type { IntegrationSpec } from '../../src/domain/integration-spec.js';
import type { IntegrationType } from '../../src/domain/integration-types.js';
import { endpointOf } from '../../src/runtime/connectors/endpoints.js';

function spec(integrationType: IntegrationType, config: Record<string, unknown>): IntegrationSpec {
  return { id: 'own-id', applicationId: 'app', name: 'i', integrationType, enabled: true, topics: [], config, status: {} };
}

describe('endpointOf', () => {
  it('MQTT: host and port, whatever the transport', () => {
    expect(endpointOf(spec('mqtt', { host: 'Broker.Example.com', port: 8883, protocol: 'mqtts' }))).toBe('broker.example.com:8883');
    expect(endpointOf(spec('mqtt', { host: '127.0.0.1', port: 1883, protocol: 'mqtt', clientId: 'a' }))).toBe(endpointOf(spec('mqtt', { host: '127.0.0.1', port: 1883, protocol: 'mqtt', clientId: 'b' })));
  });

  it("WebSocket: the URL's host and port, the scheme's port when it names none", () => {
    expect(endpointOf(spec('websocket', { url: 'wss://stream.example.com/feed?x=1' }))).toBe('stream.example.com:443');
    expect(endpointOf(spec('websocket', { url: 'ws://user:pw@127.0.0.1:8080/a' }))).toBe('127.0.0.1:8080');
    expect(endpointOf(spec('websocket', { url: 'ws://example.com/a' }))).toBe('example.com:80');
  });

  it('the cloud types: the service host', () => {
    expect(endpointOf(spec('sqs', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123/q' }))).toBe('sqs.us-east-1.amazonaws.com:443');
    expect(endpointOf(spec('particle', { accessToken: 't' }))).toBe('api.particle.io:443');
    expect(endpointOf(spec('particle', { accessToken: 't' }), { particleApiUrl: 'http://127.0.0.1:4100' })).toBe('127.0.0.1:4100');
    expect(endpointOf(spec('googlePubSub', { projectId: 'p', keyJson: '{}' }))).toBe('pubsub.googleapis.com:443');
    const hub = (connectionString: string) => endpointOf(spec('azureEventHub', { hubName: 'h', consumerGroup: '$Default', connectionString }));
    expect(hub('Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a=b')).toBe('ns.servicebus.windows.net:5671');
    expect(hub('Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=s;UseDevelopmentEmulator=true')).toBe('localhost:5672');
    expect(endpointOf(spec('azureEventHub', { hubName: 'h', consumerGroup: '$Default', hostName: 'NS.servicebus.windows.net' }))).toBe('ns.servicebus.windows.net:5671');
  });

  it("falls back to the integration's own id when the config cannot be read", () => {
    expect(endpointOf(spec('websocket', { url: 'not a url' }))).toBe('own-id');
    expect(endpointOf(spec('mqtt', { port: 1883 }))).toBe('own-id');
    expect(endpointOf(spec('sqs', {}))).toBe('own-id');
    expect(endpointOf({ ...spec('mqtt', {}), integrationType: 'carrierPigeon' as IntegrationType })).toBe('own-id');
  });
});
