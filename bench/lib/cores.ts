/**
 * Which core runs what. On a 2-core machine the server under test gets one
 * core to itself and everything that feeds or reads it (broker, publisher,
 * load generator, the bench process) gets the other, so the figures measure
 * the server rather than who won the scheduler; the reference a scenario
 * compares against gets the server's core, as the thing being compared.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** True when there are two cores to split and taskset (util-linux) to split them with. */
export function canPin(): boolean {
  if (os.availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Moves every thread of this process to `core`; children started afterwards inherit it. */
export function pinSelf(core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** The command line that runs `command` on `core` (taskset execs it: same pid). */
export function onCore(core: number | undefined, command: string, args: readonly string[]): { command: string; args: string[] } {
  return core === undefined ? { command, args: [...args] } : { command: 'taskset', args: ['-c', String(core), command, ...args] };
}

/**
 * Pins the bench process to the load core when it can; returns the core the
 * server and the reference should get (undefined: nothing is pinned) and a
 * line saying so for the report.
 */
export function pinBench(): { serverCore: number | undefined; description: string } {
  if (!canPin()) return { serverCore: undefined, description: 'not pinned (fewer than 2 cores or no taskset): every process shares every core' };
  pinSelf(LOAD_CORE);
  return {
    serverCore: SERVER_CORE,
    description: `server under test and reference on core ${SERVER_CORE} (taskset -c ${SERVER_CORE}); broker, publisher, load generator and bench process on core ${LOAD_CORE}`,
  };
}
