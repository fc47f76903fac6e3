#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { KeyError } from '../security/keys.js';
import { UserExistsError, UserInputError } from '../users/service.js';
import { VERSION } from '../version.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';

const program = new Command()
  .name('tributary')
  .description('Tributary: a self-hosted integrations gateway with a Losant-compatible REST API')
  .version(VERSION)
  .showHelpAfterError('(run tributary --help for usage)')
  .exitOverride();

serveCommand(program);
usersCommand(program);

/** Errors a user can fix get one plain sentence; anything else is a bug and keeps its stack. */
function explain(err: unknown): { message: string; code: number } {
  if (err instanceof ConfigError || err instanceof KeyError || err instanceof UserInputError || err instanceof UserExistsError) {
    return { message: err.message, code: 2 };
  }
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return { message: `The port is already in use: ${(err as Error).message}`, code: 1 };
  if (code === 'EACCES') return { message: `Permission denied: ${(err as Error).message}`, code: 1 };
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000' || code === '28P01') {
    return { message: `Cannot reach the database: ${(err as Error).message}`, code: 1 };
  }
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), code: 1 };
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const { message, code } = explain(err);
  process.stderr.write(`tributary: ${message}\n`);
  process.exit(code);
}
