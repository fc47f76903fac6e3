import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SettingRepository } from '../store/store.js';
import type { Sealer } from './sealer.js';

const KEY_FILE = 'secret.key';
const CHECK_SETTING = 'secretKeyCheck';
const CHECK_TEXT = 'tributary secret key check';
const SIGNING_SETTING = 'tokenSigningKey';

export class KeyError extends Error {}

/**
 * The key that seals secrets at rest: TRIBUTARY_SECRET_KEY when given,
 * otherwise generated once into DATA_DIR/secret.key (mode 0600) and reused.
 */
export function loadSecretKey(configured: Buffer | undefined, dataDir: string): Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, KEY_FILE);
  // Created 0700 whatever the umask (SPEC §10): it holds the key to every secret.
  const created = fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (created !== undefined) fs.chmodSync(dataDir, 0o700);
  try {
    // 'wx' fails if the file exists, so two processes never overwrite each other's key.
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new KeyError(`${file} does not hold a 64-character hex key`);
  return Buffer.from(text, 'hex');
}

/**
 * Proves the key opens what the database already holds, so a wrong key fails
 * at start with a clear message instead of as errors on every secret read.
 */
export async function verifySecretKey(settings: SettingRepository, sealer: Sealer): Promise<void> {
  const stored = await settings.getOrInsert(CHECK_SETTING, sealer.seal(CHECK_TEXT, CHECK_SETTING));
  try {
    if (sealer.open(stored, CHECK_SETTING) === CHECK_TEXT) return;
  } catch {
    // fall through
  }
  throw new KeyError(
    'The secret key does not match the one this database was written with. Set TRIBUTARY_SECRET_KEY (or restore DATA_DIR/secret.key) to the original key.',
  );
}

/** The token signing key: generated once, kept sealed in the database so every node and every restart shares it. */
export async function loadSigningKey(settings: SettingRepository, sealer: Sealer): Promise<Buffer> {
  const stored = await settings.getOrInsert(SIGNING_SETTING, sealer.seal(randomBytes(64).toString('base64'), SIGNING_SETTING));
  return Buffer.from(sealer.open(stored, SIGNING_SETTING), 'base64');
}

