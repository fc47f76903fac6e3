import { randomBytes } from 'node:crypto';

/**
 * ObjectId-like identifiers: 4 bytes of seconds since the epoch, 5 random bytes
 * fixed per process, 3 bytes of a counter. 24 lowercase hex characters, ordered
 * by creation time, unique across processes sharing one database.
 */
const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

export const ID_PATTERN = '^[a-f0-9]{24}$';

export function newId(nowMs: number = Date.now()): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.floor(nowMs / 1000) >>> 0;
  return seconds.toString(16).padStart(8, '0') + processRandom + counter.toString(16).padStart(6, '0');
}
