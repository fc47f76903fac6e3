import * as http from 'node:http';
import * as https from 'node:https';
import type { OutboundPolicy } from '../outbound.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';

/** `sqsConfig` as the API stores it (SPEC §7). */
export interface SqsConfig {
  queueUrl: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** How long one ReceiveMessage waits for messages: SQS's longest long poll. */
export const WAIT_SECONDS = 20;
/** SQS's largest batch, for receives and deletes alike. */
export const BATCH = 10;

/** The integration's config; the API validated it against the type's schema before storing it. */
export function sqsConfig(spec: IntegrationSpec): SqsConfig {
  return spec.config as unknown as SqsConfig;
}

/**
 * One client per connect() attempt. The endpoint is the queue URL's own
 * origin, so a local SQS-compatible server works unchanged (and the SDK does
 * not warn that QueueUrl and endpoint differ). One attempt per call: the
 * supervisor's backoff is the only retry. Throws on a queue URL that is not a URL.
 */
export function sqsClient(config: SqsConfig, connectTimeoutMs: number, outbound?: OutboundPolicy): SQSClient {
  // Every address the queue URL's host resolves to is checked against OUTBOUND_DENY / OUTBOUND_ALLOW.
  const agents = outbound ? { httpAgent: new http.Agent({ keepAlive: true, lookup: outbound.lookup }), httpsAgent: new https.Agent({ keepAlive: true, lookup: outbound.lookup }) } : {};
  return new SQSClient({
    region: config.region,
    endpoint: new URL(config.queueUrl).origin,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 1,
    requestHandler: {
      ...agents,
      connectionTimeout: connectTimeoutMs,
      // A long poll is silent for up to WAIT_SECONDS; only a longer silence is a dead link.
      requestTimeout: (WAIT_SECONDS + 10) * 1000,
    },
  });
}
