import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { BATCH } from './config.js';

/**
 * Deletes retained messages from the queue, gathering one tick's
 * acknowledgements into DeleteMessageBatch calls of up to BATCH. A failed
 * delete is not retried: the message returns after its visibility timeout
 * and is delivered again (at least once, SPEC §6).
 */
export class Deletes {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  #handles: string[] = [];
  readonly #calls = new Set<Promise<unknown>>();

  constructor(client: SQSClient, queueUrl: string) {
    this.#client = client;
    this.#queueUrl = queueUrl;
  }

  add(receiptHandle: string): void {
    this.#handles.push(receiptHandle);
    if (this.#handles.length === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    while (this.#handles.length > 0) {
      const entries = this.#handles.splice(0, BATCH).map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle }));
      const call = this.#client.send(new DeleteMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries })).catch(() => undefined);
      this.#calls.add(call);
      void call.finally(() => this.#calls.delete(call));
    }
  }

  /** Sends what is gathered and resolves once every delete call settled. */
  async settle(): Promise<void> {
    this.flush();
    await Promise.all(this.#calls);
  }
}

/** SQS attributes as strings: String and Number values as written, Binary ones in base64. */
export function attributesOf(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, string> | undefined {
  if (attributes === undefined) return undefined;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value.StringValue !== undefined) result[name] = value.StringValue;
    else if (value.BinaryValue !== undefined) result[name] = Buffer.from(value.BinaryValue).toString('base64');
  }
  return result;
}

/** Outbound attributes as String message attributes (SPEC §7); undefined when there are none. */
export function stringAttributes(attributes: Readonly<Record<string, string>> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined) return undefined;
  const names = Object.keys(attributes);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((name) => [name, { DataType: 'String', StringValue: attributes[name] }]));
}
