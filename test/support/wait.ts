import type { EventEmitter } from 'node:events';
import type { ConnectorEvents, RefusedSubscription } from '../../src/runtime/connector.js';

/** Waiting for things to happen, without fixed sleeps. */

const DEFAULT_TIMEOUT_MS = 5000;

/** Rejects with `what` in the message if `promise` does not settle within `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The arguments of the next `event` on `emitter`. */
export function once<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  return within(new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))), `"${event}"`, timeoutMs);
}

/**
 * Polls `check` until it returns something other than undefined. For state
 * that changes without an event we can listen to (a port that accepts again).
 */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly binary: boolean;
}

/** ConnectorEvents that record everything, with ways to await what is expected. */
export interface EventRecorder {
  /** Hand these to the connector. */
  readonly events: ConnectorEvents;
  readonly downs: readonly string[];
  readonly messages: readonly ReceivedMessage[];
  readonly refusals: readonly (readonly RefusedSubscription[])[];
  readonly alives: number;
  /** How many events of any kind were reported, for "nothing else happened" assertions. */
  readonly count: number;
  /** The first recorded message (past or future) matching `match`. */
  waitMessage(match: (message: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  /** The first down() reason (past or future). */
  waitDown(timeoutMs?: number): Promise<string>;
  waitRefused(timeoutMs?: number): Promise<readonly RefusedSubscription[]>;
  waitAlive(timeoutMs?: number): Promise<void>;
}

export function recordEvents(): EventRecorder {
  const downs: string[] = [];
  const messages: ReceivedMessage[] = [];
  const refusals: RefusedSubscription[][] = [];
  let alives = 0;
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const watcher of watchers) watcher();
  };
  const until = <T>(check: () => T | undefined, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> => {
    const found = check();
    if (found !== undefined) return Promise.resolve(found);
    let watcher: () => void = () => {};
    const waiting = new Promise<T>((resolve) => {
      watcher = () => {
        const value = check();
        if (value !== undefined) resolve(value);
      };
      watchers.add(watcher);
    });
    return within(waiting, what, timeoutMs).finally(() => watchers.delete(watcher));
  };
  const events: ConnectorEvents = {
    down(reason) {
      downs.push(reason);
      changed();
    },
    message(message) {
      messages.push(message);
      // As the supervisor does once a message is retained; a source waiting for it stalls otherwise.
      message.ack?.();
      changed();
    },
    alive() {
      alives++;
      changed();
    },
    subscriptionsRefused(refused) {
      refusals.push([...refused]);
      changed();
    },
  };
  return {
    events,
    downs,
    messages,
    refusals,
    get alives() {
      return alives;
    },
    get count() {
      return downs.length + messages.length + refusals.length + alives;
    },
    waitMessage: (match, timeoutMs) => until(() => messages.find(match), 'a matching message', timeoutMs),
    waitDown: (timeoutMs) => until(() => downs[0], 'events.down', timeoutMs),
    waitRefused: (timeoutMs) => until(() => refusals[0], 'events.subscriptionsRefused', timeoutMs),
    waitAlive: (timeoutMs) => until(() => (alives > 0 ? true : undefined), 'events.alive', timeoutMs).then(() => {}),
  };
}
