import { randomBytes } from 'node:crypto';

/** A node id for a process started without NODE_ID. */
export function newNodeId(): string {
  return `node-${randomBytes(4).toString('hex')}`;
}
