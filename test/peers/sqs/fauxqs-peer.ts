import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { listen, readBody } from '../http.js';

/**
 * fauxqs (an in-memory SQS) behind a front of our own on 127.0.0.1, port 0.
 * fauxqs names its queues `http://sqs.<region>.localhost:<port>/…`, a host
 * that does not resolve here; the front answers for `http://127.0.0.1:<port>/…`
 * and translates queue URLs both ways, so the connector under test reaches the
 * host of its queue URL exactly as it would reach AWS. fauxqs itself never
 * listens: the front hands it each request in-process (Fastify's inject).
 */
export interface SqsPeer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly region: string;
  /** A client of the peer, for the test's own side (send, inspect). */
  readonly client: SQSClient;
  /** Creates a queue; resolves with its URL on 127.0.0.1. */
  createQueue(name: string, attributes?: Record<string, string>): Promise<string>;
  send(queueUrl: string, body: string, attributes?: Record<string, string>): Promise<void>;
  /** ApproximateNumberOfMessages (visible) and …NotVisible (received, not yet deleted). */
  counts(queueUrl: string): Promise<{ visible: number; inFlight: number }>;
  /** Bodies sent to each queue (SendMessage, by anyone), in order: what "the peer got there". */
  sentTo(queueUrl: string): readonly string[];
  /** The most ReceiveMessage calls that were in flight at once since the last reset. */
  readonly maxReceivesInFlight: number;
  resetReceiveCount(): void;
  /** Ends every open connection, as a network fault or a restarted endpoint would (the peer keeps serving). */
  dropConnections(): void;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDTRIBUTARYTEST', secretAccessKey: 'test-secret' };

export async function startSqsPeer(): Promise<SqsPeer> {
  const app = buildApp({ logger: false });
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    void forward(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  const ours = `http://127.0.0.1:${port}/`;
  const theirs = (region: string) => `http://sqs.${region}.localhost:${port}/`;
  const theirsPattern = new RegExp(`http://sqs\\.[a-z0-9-]+\\.localhost:${port}/`, 'g');

  let receives = 0;
  let maxReceives = 0;
  const sent = new Map<string, string[]>();
  async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receiving = request.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage';
    if (receiving) maxReceives = Math.max(maxReceives, ++receives);
    try {
      await answer(request, response);
    } finally {
      if (receiving) receives--;
    }
  }

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? REGION;
    const text = (await readBody(request)).toString('utf8');
    if (request.headers['x-amz-target'] === 'AmazonSQS.SendMessage') record(text);
    const body = text.replaceAll(ours, theirs(region));
    const headers = { ...request.headers };
    delete headers['content-length'];
    const reply = await app.inject({ method: request.method as 'POST', url: request.url ?? '/', headers, payload: body });
    for (const [name, value] of Object.entries(reply.headers)) {
      if (value !== undefined && name !== 'content-length' && name !== 'connection' && name !== 'transfer-encoding') response.setHeader(name, value);
    }
    response.statusCode = reply.statusCode;
    response.end(reply.body.replace(theirsPattern, ours));
  }

  function record(text: string): void {
    try {
      const { QueueUrl, MessageBody } = JSON.parse(text) as { QueueUrl?: string; MessageBody?: string };
      if (QueueUrl === undefined || MessageBody === undefined) return;
      const bodies = sent.get(QueueUrl) ?? [];
      bodies.push(MessageBody);
      sent.set(QueueUrl, bodies);
    } catch {
      // fauxqs answers what it cannot parse; nothing to record.
    }
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    endpoint,
    region: REGION,
    client,
    async createQueue(name, attributes) {
      const output = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      if (!output.QueueUrl) throw new Error('fauxqs gave no queue URL');
      return output.QueueUrl;
    },
    async send(queueUrl, body, attributes = {}) {
      const entries = Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }] as const);
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: entries.length ? Object.fromEntries(entries) : undefined }));
    },
    async counts(queueUrl) {
      const output = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return {
        visible: Number(output.Attributes?.ApproximateNumberOfMessages ?? NaN),
        inFlight: Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? NaN),
      };
    },
    sentTo: (queueUrl) => sent.get(queueUrl) ?? [],
    get maxReceivesInFlight() {
      return maxReceives;
    },
    resetReceiveCount() {
      maxReceives = receives;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

export { CREDENTIALS as SQS_PEER_CREDENTIALS, REGION as SQS_PEER_REGION };
