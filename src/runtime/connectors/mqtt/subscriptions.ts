import type { MqttClient } from 'mqtt';
import { validateTopicFilter } from '../../../lib/mqtt-topics.js';
import type { RefusedSubscription } from '../../connector.js';
import { subackRefusal } from './reasons.js';

/**
 * SUBSCRIBE / UNSUBSCRIBE on a live mqtt.js client, as promises that say what
 * the broker granted. `null` means no acknowledgement will come: the link is
 * going down and its close handler reports why.
 */

/** What the broker answered for a set of topics: the ones it refused, and why. */
export type SubscribeOutcome = readonly RefusedSubscription[] | null;

/** The SUBACK mqtt.js hands over, as much of it as we read. */
interface Suback {
  readonly granted: readonly number[];
}

function isSuback(packet: unknown): packet is Suback {
  return typeof packet === 'object' && packet !== null && Array.isArray((packet as Partial<Suback>).granted);
}

/**
 * Subscribes to every topic in one SUBSCRIBE. Topic filters the broker would
 * answer with a protocol error (and a dropped connection) are refused here
 * instead, so one bad topic cannot take the others down with it.
 */
export function subscribe(client: MqttClient, topics: readonly string[], qos: 0 | 1, protocolVersion: 4 | 5): Promise<SubscribeOutcome> {
  const refused: RefusedSubscription[] = [];
  const valid: string[] = [];
  for (const topic of topics) {
    const problem = validateTopicFilter(topic);
    if (problem === undefined) valid.push(topic);
    else refused.push({ topic, reason: `Invalid topic filter: ${problem}` });
  }
  if (valid.length === 0) return Promise.resolve(refused);
  return new Promise((resolve) => {
    // mqtt.js reports a SUBACK with refusals as an error that carries the
    // packet, so the packet, not the error, decides.
    client.subscribe(valid, { qos }, (_error, _grants, packet) => {
      if (!isSuback(packet)) {
        resolve(null);
        return;
      }
      for (let i = 0; i < valid.length; i++) {
        const code = packet.granted[i] ?? 0x80;
        if (code >= 0x80) refused.push({ topic: valid[i]!, reason: subackRefusal(code, protocolVersion) });
      }
      resolve(refused);
    });
  });
}

/** Resolves once the broker acknowledged (or the link went down: nothing is subscribed then anyway). */
export function unsubscribe(client: MqttClient, topics: readonly string[]): Promise<void> {
  const valid = topics.filter((topic) => validateTopicFilter(topic) === undefined);
  if (valid.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    client.unsubscribe(valid, () => resolve());
  });
}
