import { cleanup } from './cleanup.js';
import { UsageError } from './cli.js';
import { describeError } from './errors.js';

/**
 * How every benchmark script ends: run `main`, report a usage mistake in one
 * sentence (exit 2) or a failure (exit 1), undo what it started, exit.
 */
export async function runBench(name: string, main: (argv: readonly string[]) => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`${name} failed: ${describeError(err)}\n`);
      code = 1;
    }
  }
  await cleanup();
  process.exit(code);
}
