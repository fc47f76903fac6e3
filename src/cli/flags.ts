import type { RawSettings } from '../config/config.js';
import { optionNames } from '../config/options.js';

/** Commander's parsed option values → the raw settings loadConfig reads (only those given). */
export function collectFlags(flags: Record<string, string | undefined>): RawSettings {
  const raw: RawSettings = {};
  for (const name of optionNames) {
    const value = flags[name];
    if (value !== undefined) raw[name] = value;
  }
  return raw;
}
