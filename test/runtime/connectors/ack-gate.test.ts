import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { AckGate } from '../../../src/runtime/connectors/mqtt/ack-gate.js';

/** What reaches the socket, parsed back into packets. */
function wire() {
  const socket = new PassThrough();
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const seen: { cmd: string; messageId?: number }[] = [];
  parser.on('packet', (packet: { cmd: string; messageId?: number }) => seen.push({ cmd: packet.cmd, ...(packet.messageId !== undefined ? { messageId: packet.messageId } : {}) }));
  socket.on('data', (data: Buffer) => parser.parse(data));
  return { socket, seen };
}

const puback = (messageId: number) => mqttPacket.generate({ cmd: 'puback', messageId });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AckGate', () => {
  it('holds PUBACKs until released, sends them in arrival order, and lets everything else through', async () => {
    const { socket, seen } = wire();
    const gate = new AckGate(socket);
    gate.hold(1);
    gate.hold(2);
    gate.write(puback(1));
    // A packet split across writes byte by byte still frames.
    for (const byte of puback(2)) gate.write(Buffer.from([byte]));
    gate.write(mqttPacket.generate({ cmd: 'pingreq' }));
    gate.write(mqttPacket.generate({ cmd: 'publish', topic: 'out', payload: Buffer.alloc(300, 7), qos: 1, messageId: 9, retain: false, dup: false }));
    await settle();
    expect(seen).toEqual([{ cmd: 'pingreq' }, { cmd: 'publish', messageId: 9 }]);
    gate.release(2);
    await settle();
    // 2 waits for 1: acknowledgements leave in the order the messages came.
    expect(seen).toHaveLength(2);
    gate.release(1);
    await settle();
    expect(seen.slice(2)).toEqual([
      { cmd: 'puback', messageId: 1 },
      { cmd: 'puback', messageId: 2 },
    ]);
    // A PUBACK not held (nothing to wait for) goes at once; one released before mqtt.js writes it too.
    gate.write(puback(5));
    gate.hold(6);
    gate.release(6);
    gate.write(puback(6));
    await settle();
    expect(seen.slice(4)).toEqual([
      { cmd: 'puback', messageId: 5 },
      { cmd: 'puback', messageId: 6 },
    ]);
  });

  it('stops reading from the socket while paused, and reads what waited once resumed', async () => {
    const socket = new PassThrough();
    const gate = new AckGate(socket);
    const read: Buffer[] = [];
    gate.on('data', (chunk: Buffer) => read.push(chunk));
    gate.pauseReading();
    socket.push(Buffer.from('waiting'));
    await settle();
    expect(read).toEqual([]);
    gate.resumeReading();
    await settle();
    expect(Buffer.concat(read).toString()).toBe('waiting');
  });

  it('never sends a PUBACK it still holds when the connection ends', async () => {
    const { socket, seen } = wire();
    const gate = new AckGate(socket);
    gate.hold(3);
    gate.write(puback(3));
    gate.destroy();
    gate.release(3);
    await settle();
    expect(seen).toEqual([]);
  });
});
