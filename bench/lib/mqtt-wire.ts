/**
 * The MQTT 3.1.1 packets a flood needs, encoded by hand. A
 * publisher that writes pre-encoded packets costs almost no CPU while it
 * runs, so on a 2-vCPU machine the broker and the subscriber, not the
 * publisher, set the pace (mosquitto_pub -l managed ~60k msg/s here, below
 * what mosquitto_sub can take).
 */

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

function utf8String(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** CONNECT with a clean session and no credentials. */
export function connectPacket(clientId: string, keepaliveSeconds = 60): Buffer {
  const flags = 0x02; // clean session
  const body = Buffer.concat([utf8String('MQTT'), Buffer.from([4, flags, keepaliveSeconds >> 8, keepaliveSeconds & 0xff]), utf8String(clientId)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** PUBLISH, not retained: at QoS 0 without a packet id, at QoS 1 with `packetId` (1–65535). */
export function publishPacket(topic: string, payload: Buffer, packetId?: number): Buffer {
  const name = utf8String(topic);
  if (packetId === undefined) return Buffer.concat([Buffer.from([0x30]), remainingLength(name.length + payload.length), name, payload]);
  const id = Buffer.from([packetId >> 8, packetId & 0xff]);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(name.length + 2 + payload.length), name, id, payload]);
}

/** The size of a PUBACK: after CONNACK it is all the broker sends a QoS 1 publisher. */
export const PUBACK_BYTES = 4;

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** True when the buffer starts with a CONNACK that accepted the connection. */
export function isAcceptedConnack(data: Buffer): boolean {
  return data.length >= 4 && data[0] === 0x20 && data[3] === 0x00;
}
