import type { MqttClient } from 'mqtt';

/** How long a polite DISCONNECT may take before the socket is simply destroyed. */
const GRACE_MS = 1000;

/**
 * Ends an mqtt.js client for good and resolves once its socket is closed, so
 * nothing of it (socket, keepalive interval, CONNACK timer) outlives the call.
 * A live link says goodbye with DISCONNECT first; a broker that does not close
 * its side in time, or mqtt.js waiting on an acknowledgement that never comes,
 * must not hold close() up, hence the bound.
 */
export function endClient(client: MqttClient, graceful: boolean): Promise<void> {
  const stream = client.stream;
  if (stream.destroyed) {
    client.end(true);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (graceful) {
      client.end(false);
      timer = setTimeout(() => stream.destroy(), GRACE_MS);
    } else {
      client.end(true);
    }
  });
}
