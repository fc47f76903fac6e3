import type { EventHubConsumerClient } from '@azure/event-hubs';
import { keepaliveTimeout } from './reasons.js';

/**
 * The link's keepalive: every `seconds`, ask the hub for its properties over
 * the consumer's connection; an answer is a sign of life, no answer within
 * `seconds` (or a refusal) ends the link. AMQP's own idle timeout, as the SDK
 * sets it, is a minute. The wait is our own timer, not the SDK's abort
 * handling, so a silent peer is noticed on time. One timer at a time; returns the stop.
 */
export function startKeepalive(
  consumer: EventHubConsumerClient,
  seconds: number,
  alive: () => void,
  lost: (reason: string | Error) => void,
): () => void {
  if (seconds <= 0) return () => {};
  const ms = seconds * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const probe = () => {
    const request = new AbortController();
    let answered = false;
    const answer = (error: unknown) => {
      if (answered || stopped) return;
      answered = true;
      clearTimeout(timer);
      if (error === undefined) {
        alive();
        timer = setTimeout(probe, ms);
      } else {
        stopped = true;
        request.abort();
        lost(typeof error === 'string' || error instanceof Error ? error : new Error('The keepalive probe failed'));
      }
    };
    timer = setTimeout(() => answer(keepaliveTimeout(seconds)), ms);
    consumer.getEventHubProperties({ abortSignal: request.signal }).then(
      () => answer(undefined),
      (error: unknown) => answer(error ?? 'The keepalive probe failed'),
    );
  };
  timer = setTimeout(probe, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
