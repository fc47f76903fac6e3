import type * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { Subscription } from './state.js';
import type { PubsubMessage, PubsubState, Receiver } from './state.js';
import { within } from '../../support/wait.js';
import { notFound, UNAUTHENTICATED } from './status.js';

export interface StreamingPullRequest {
  subscription: string;
  ackIds: string[];
  modifyDeadlineSeconds: number[];
  modifyDeadlineAckIds: string[];
  streamAckDeadlineSeconds: number;
}

/** One StreamingPull: the first request names the subscription; later ones carry acks and deadline changes. */
export function streamingPull(call: grpc.ServerDuplexStream<StreamingPullRequest, unknown>, state: PubsubState, streams: Set<typeof call>, refuse: boolean): void {
  if (refuse) {
    call.emit('error', UNAUTHENTICATED);
    return;
  }
  let subscription: Subscription | undefined;
  let receiver: Receiver | undefined;
  const stop = () => {
    streams.delete(call);
    if (subscription && receiver) subscription.receivers.delete(receiver);
  };
  streams.add(call);
  call.on('data', (request: StreamingPullRequest) => {
    if (!subscription) {
      subscription = state.subscriptions.get(request.subscription);
      if (!subscription) {
        stop();
        call.emit('error', notFound(request.subscription));
        return;
      }
      receiver = {
        ackDeadlineSeconds: request.streamAckDeadlineSeconds || subscription.ackDeadlineSeconds,
        deliver: (ackId: string, message: PubsubMessage, deliveryAttempt: number) => call.write({ receivedMessages: [{ ackId, message, deliveryAttempt }] }),
      };
      subscription.receivers.add(receiver);
      subscription.pump();
    }
    for (const ackId of request.ackIds) subscription.ack(ackId);
    request.modifyDeadlineAckIds.forEach((ackId, i) => subscription?.modifyDeadline(ackId, request.modifyDeadlineSeconds[i] ?? 0));
  });
  call.on('end', () => {
    stop();
    call.end();
  });
  call.on('cancelled', stop);
  call.on('error', stop);
  call.on('close', stop);
}

/** A subscription read inside the peer (no gRPC): each message is acknowledged as it is taken. */
export function tap(state: PubsubState, topic: string): { next(): Promise<string> } {
  state.topics.add(topic);
  const subscription = new Subscription(`${topic.replace('/topics/', '/subscriptions/')}-tap-${randomUUID()}`, topic, 60);
  state.subscriptions.set(subscription.name, subscription);
  const arrived: string[] = [];
  const waiting: ((data: string) => void)[] = [];
  subscription.receivers.add({
    ackDeadlineSeconds: 60,
    deliver: (ackId, message) => {
      subscription.ack(ackId);
      const data = message.data.toString();
      const take = waiting.shift();
      if (take) take(data);
      else arrived.push(data);
    },
  });
  return {
    next: () => {
      const ready = arrived.shift();
      return ready !== undefined ? Promise.resolve(ready) : within(new Promise<string>((resolve) => waiting.push(resolve)), `a message on ${topic}`);
    },
  };
}
