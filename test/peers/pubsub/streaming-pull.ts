import type * as grpc from '@grpc/grpc-js';
import type { PubsubMessage, PubsubState, Receiver, Subscription } from './state.js';
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
