export { startEventHubsPeer } from './server.js';
export type { EventHubsPeer } from './server.js';
export type { NewEvent, StoredEvent } from './hubs.js';
