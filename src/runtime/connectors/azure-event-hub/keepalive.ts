import type { EventHubConsumerClient } from '@azure/event-hubs';
import { keepaliveTimeout } from './reasons.js';

/**
 * The link's keepalive: every `seconds`, ask the hub for its properties over
 * the consumer's connection; an answer is a sign of life, no answer within
 * `seconds` (or a refusal) ends the link. AMQP's own idle timeout, as the SDK
 * sets it, is a minute. One timer at a time; returns the stop.
 */
export function startKeepalive(
  consumer: EventHubConsumerClient,
  seconds: number,
  alive: () => void,
  lost: (reason: string | Error) => void,
): () => void {
  if (seconds <= 0) return () => {};
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const probe = () => {
    const answered = AbortSignal.any([stopped.signal, AbortSignal.timeout(seconds * 1000)]);
    consumer.getEventHubProperties({ abortSignal: answered }).then(
      () => {
        if (stopped.signal.aborted) return;
        alive();
        timer = setTimeout(probe, seconds * 1000);
      },
      (error: unknown) => {
        if (stopped.signal.aborted) return;
        lost(answered.aborted ? keepaliveTimeout(seconds) : error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
  timer = setTimeout(probe, seconds * 1000);
  return () => {
    stopped.abort();
    clearTimeout(timer);
  };
}
