import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { optionNames, options, type OptionSpec } from '../config/options.js';
import { startServer } from '../server.js';
import { collectFlags } from './flags.js';

export function serveCommand(program: Command): void {
  const command = program
    .command('serve', { isDefault: true })
    .description('run the API server and the integration runtime')
    .addHelpText(
      'after',
      '\nEvery option can also be set in the environment:\n' +
        optionNames.map((name) => `  ${options[name].env.padEnd(26)} ${options[name].flag.split(' ')[0]}`).join('\n'),
    );
  for (const name of optionNames) {
    const spec: OptionSpec<unknown> = options[name];
    const shown = spec.default === undefined || spec.secret ? '' : ` (default: ${typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)})`;
    command.option(spec.flag, `${spec.description}${shown} [env ${spec.env}]`);
  }
  command.action(async (flags: Record<string, string | undefined>) => {
    const config = loadConfig(process.env, collectFlags(flags));
    const logger = pino({ level: config.logLevel });
    const server = await startServer(config, {
      logger,
      onGeneratedAdmin: (email, password) => {
        process.stdout.write(
          `\nNo user existed, so one was created. This password is shown only once:\n\n` +
            `  email:    ${email}\n  password: ${password}\n\n` +
            `Log in with POST /auth/user. Add users with: npx tributary users create --email E --password P\n\n`,
        );
      },
    });

    let signals = 0;
    const shutdown = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn('second signal: exiting without waiting');
        process.exit(1);
      }
      logger.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
