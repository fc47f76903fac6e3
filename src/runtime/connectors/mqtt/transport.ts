import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { IClientOptions } from 'mqtt';
import WebSocket, { createWebSocketStream } from 'ws';

/**
 * The socket under one MQTT connection, opened the way mqtt.js would for
 * mqtt, mqtts, ws and wss, from the same client options: the connector opens
 * it itself so that its acknowledgements can be held back (see ack-gate.ts)
 * and so that every socket takes the outbound policy's `lookup`.
 */
export function openTransport(options: IClientOptions): Duplex {
  const host = options.host!;
  const port = options.port!;
  const lookup = (options as { lookup?: net.LookupFunction }).lookup;
  const withLookup = lookup ? { lookup } : {};
  switch (options.protocol) {
    case 'mqtts': {
      const secure = options as tls.ConnectionOptions;
      return tls.connect({
        host,
        port,
        secureContext: secure.secureContext,
        rejectUnauthorized: secure.rejectUnauthorized !== false,
        ...(secure.servername ? { servername: secure.servername } : {}),
        ...withLookup,
      });
    }
    case 'ws':
    case 'wss': {
      const name = net.isIPv6(host) ? `[${host}]` : host;
      const url = `${options.protocol}://${name}:${port}${options.path ?? '/mqtt'}`;
      const socket = new WebSocket(url, ['mqtt'], options.wsOptions as WebSocket.ClientOptions);
      const stream = createWebSocketStream(socket);
      socket.on('close', () => stream.destroy());
      return stream;
    }
    default:
      return net.createConnection({ host, port, ...withLookup });
  }
}
