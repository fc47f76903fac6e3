import { inject } from 'vitest';
import type { TestServices } from './global-setup.js';

/** What the global setup found on this machine (see global-setup.ts). */
export function services(): TestServices {
  return inject('services');
}
