import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

const corked = new WeakSet<Socket>();

/**
 * Pipelined requests that arrive in one read are usually all answered within
 * the same event-loop turn; writing each answer as its own syscall costs more
 * than building it. The socket is corked when the first of them arrives and
 * uncorked at the end of the turn, so the answers leave in one write. The
 * delay is at most one turn of the loop.
 */
export function registerWriteCoalescing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket as Socket | null;
    // Injected requests (tests) come on a stand-in socket without cork().
    if (socket && typeof socket.cork === 'function' && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      setImmediate(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    done();
  });
}
