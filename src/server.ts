import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { createContext, type Context } from './context.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly ctx: Context;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Use this store instead of opening one from the config (tests). */
  readonly store?: Store;
  /** Called once with the generated admin password on first start. */
  readonly onGeneratedAdmin?: (email: string, password: string) => void;
}

/** Opens everything, listens, and returns a handle whose close() shuts it all down in order. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const ctx = await createContext(config, { logger, ...(options.store ? { store: options.store } : {}) });
  let app: FastifyInstance | undefined;
  try {
    const admin = await ctx.users.ensureAdmin(config.adminEmail, config.adminPassword);
    if (admin?.generatedPassword) options.onGeneratedAdmin?.(admin.email, admin.generatedPassword);
    else if (admin) logger.info({ email: admin.email }, 'created the first user from TRIBUTARY_ADMIN_EMAIL');

    app = await buildApp(ctx, { logger });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    logger.info({ url, store: ctx.store.kind }, 'Tributary is listening');
    await ctx.runtime.start(config.nodeUrl ?? url);

    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      url,
      app,
      ctx,
      close: () => {
        closing ??= (async () => {
          // Links first (their last statuses need the store), then HTTP, then the store.
          await ctx.runtime.stop();
          await app!.close();
          await ctx.close();
        })();
        return closing;
      },
    };
    return running;
  } catch (err) {
    await app?.close();
    await ctx.close();
    throw err;
  }
}
