import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a thread running the module `name` that sits beside `base` (the
 * caller's import.meta.url). Built (dist/), that is `name.js`, started as it
 * is. Run from the sources (vitest, tsx) only `name.ts` is there, and Node 20
 * gives a worker no loader hooks (`--import tsx` in its execArgv is ignored
 * for its entry point), so the thread first registers tsx's loader itself,
 * then imports the module: the bootstrap below holds no logic of its own.
 */
export function startThread(name: string, base: string, options: WorkerOptions): Worker {
  const built = new URL(`./${name}.js`, base);
  if (fs.existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = fileURLToPath(new URL(`./${name}.ts`, base));
  const tsx = createRequire(base).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
