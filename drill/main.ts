/**
 * npm run drill — every drill in turn, each in its own process as if run by
 * hand, their figures printed as they come, then one line per drill.
 *
 *   drill/store.ts          PostgreSQL cut and silenced under load; kill -9 during writes
 *   drill/broker-outage.ts  1,000 MQTT integrations, their broker down for 10 s
 *
 * Builds dist/ once first if src/ changed, then runs the drills with
 * --no-build. Exits 1 when any drill failed (a figure broke the spec or the
 * drill could not run).
 */
import { spawn } from 'node:child_process';
import { ensureBuilt, REPO_ROOT } from '../bench/lib/tributary.js';

const DRILLS = ['drill/store.ts', 'drill/broker-outage.ts'];

const log = (line = '') => process.stdout.write(`${line}\n`);

/** Runs one drill with this terminal as its own; resolves with how it ended. */
function run(file: string): Promise<{ ok: boolean; outcome: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, '--no-build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('error', (err) => resolve({ ok: false, outcome: `could not start: ${err.message}` }));
    child.once('exit', (code, signal) => resolve({ ok: code === 0, outcome: code === 0 ? 'OK' : signal ? `killed by ${signal}` : `FAILED (exit ${code})` }));
  });
}

// Ctrl-C reaches the running drill too (same process group): it cleans up after itself, and no other starts.
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));

await ensureBuilt((line) => log(line));
const results: string[] = [];
let ok = true;
for (const file of DRILLS) {
  if (interrupted) break;
  log(`\n=== ${file} ===`);
  const started = performance.now();
  const result = await run(file);
  ok &&= result.ok;
  results.push(`${file.padEnd(24)} ${result.outcome} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
log('\n=== drills ===');
for (const line of results) log(line);
process.exitCode = ok && !interrupted ? 0 : 1;
