import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('reads the environment, lets flags win, and freezes the result', () => {
    const config = loadConfig({ PORT: '4000', HOST: '0.0.0.0', RATE_LIMIT_MAX: '50' }, { port: '5000' });
    expect(config.port).toBe(5000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.rateLimitMax).toBe(50);
    expect(config.reconnectBase).toBe(1000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every bad setting at once, naming where it came from', () => {
    expect(() => loadConfig({ PORT: '70000', KEEPALIVE_SECONDS: 'x' }, { logLevel: 'loud' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: '70000', KEEPALIVE_SECONDS: 'x' }, { logLevel: 'loud' });
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('PORT must be between 0 and 65535, got 70000');
      expect(message).toContain('KEEPALIVE_SECONDS must be a whole number, got "x"');
      expect(message).toContain('--log-level must be one of');
    }
  });

  it('accepts a 32-byte secret key in hex or base64 and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ TRIBUTARY_SECRET_KEY: hex }).secretKey?.toString('hex')).toBe(hex);
    expect(loadConfig({ TRIBUTARY_SECRET_KEY: Buffer.from(hex, 'hex').toString('base64') }).secretKey?.toString('hex')).toBe(hex);
    expect(() => loadConfig({ TRIBUTARY_SECRET_KEY: 'too short' })).toThrow(/TRIBUTARY_SECRET_KEY must be 32 bytes/);
  });

  it('refuses a reconnect cap below its base', () => {
    expect(() => loadConfig({ RECONNECT_BASE_MS: '5000', RECONNECT_MAX_MS: '1000' })).toThrow(/RECONNECT_MAX_MS must not be smaller than RECONNECT_BASE_MS/);
  });
});
