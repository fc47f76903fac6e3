import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

const corked = new WeakSet<Socket>();

/**
 * Answers ready in the same event-loop turn (pipelined reads answered from
 * memory, writes acknowledged by one group commit) would each cost a write
 * syscall, which costs more than building them. The socket is corked when the
 * first of them is sent and uncorked at the end of the turn, so they leave in
 * one write. The delay is at most one turn of the loop.
 */
export function registerWriteCoalescing(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    const socket = reply.raw.socket;
    // Injected requests (tests) come on a stand-in socket without cork().
    if (socket && typeof socket.cork === 'function' && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      setImmediate(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    done(null, payload);
  });
}
