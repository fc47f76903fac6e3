import path from 'node:path';
import { OptionError, optionNames, options, type OptionName } from './options.js';

type Values = { [K in OptionName]: ReturnType<(typeof options)[K]['parse']> };

/** The server's settings: read and validated once at start, then frozen. */
export type Config = Readonly<Values>;

export class ConfigError extends Error {}

export type RawSettings = Partial<Record<OptionName, string>>;

/**
 * Builds the config from the environment and command-line values (flags win).
 * Every problem is collected, so a user sees all bad settings at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: RawSettings = {}): Config {
  const values: Partial<Record<OptionName, unknown>> = {};
  const problems: string[] = [];
  for (const name of optionNames) {
    const spec = options[name];
    const fromFlag = flags[name];
    const raw = fromFlag ?? env[spec.env];
    if (raw === undefined) {
      values[name] = spec.default;
      continue;
    }
    try {
      values[name] = spec.parse(raw);
    } catch (err) {
      if (!(err instanceof OptionError)) throw err;
      const source = fromFlag === undefined ? spec.env : spec.flag.split(' ')[0];
      problems.push(`${source} ${err.message}`);
    }
  }
  const config = values as Values;
  if (problems.length === 0 && config.reconnectMax < config.reconnectBase) {
    problems.push('RECONNECT_MAX_MS must not be smaller than RECONNECT_BASE_MS');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  config.dataDir = path.resolve(config.dataDir);
  return Object.freeze(config);
}

/** Defaults with overrides; the way tests build a config without touching process.env. */
export function testConfig(overrides: Partial<Values> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
