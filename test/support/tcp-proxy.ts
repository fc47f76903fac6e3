import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1:0 in front of a real service, to break the
 * network between Tributary and it on purpose: drop every connection
 * (`cut`), let connections stand but carry nothing (`silence`, a partition:
 * bytes wait, as TCP would retransmit them, and flow again on `resume`; or
 * `blackhole`, where they are lost), or answer new connections with a
 * refusal (`refuse`, a stopped server).
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Destroys every open connection, both sides; new ones are accepted as before. */
  cut(): void;
  /** Stops forwarding in both directions, on open connections and new ones. */
  silence(): void;
  /** Like silence, but what is sent meanwhile is lost: a query sent then is never answered, even after resume(). */
  blackhole(): void;
  /** Forwards again (what waited during a silence first) and accepts again after a refusal. */
  resume(): Promise<void>;
  /** Cuts every connection and refuses new ones until resume(). */
  refuse(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

const drop = () => {};

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: 'flowing' | 'silent' | 'blackhole' = 'flowing';
  let server = net.createServer();
  let port = 0;

  const flow = (pair: Pair) => {
    for (const socket of [pair.client, pair.upstream]) socket.off('data', drop);
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const hold = (pair: Pair) => {
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    for (const socket of [pair.client, pair.upstream]) {
      if (mode === 'blackhole') socket.on('data', drop).resume();
      else socket.pause();
    }
  };

  const accept = (client: net.Socket) => {
    const upstream = net.connect(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Either side going away takes the other with it; errors are that, not failures of the proxy.
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    if (mode === 'flowing') flow(pair);
    else hold(pair);
  };

  const listen = (at: number) =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer(accept);
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: at }, () => {
        const address = server.address();
        port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  const cut = () => {
    for (const pair of [...pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
  };

  await listen(0);
  return {
    get port() {
      return port;
    },
    get connections() {
      return pairs.size;
    },
    cut,
    silence() {
      mode = 'silent';
      for (const pair of pairs) hold(pair);
    },
    blackhole() {
      mode = 'blackhole';
      for (const pair of pairs) hold(pair);
    },
    async resume() {
      if (mode !== 'flowing') {
        mode = 'flowing';
        for (const pair of pairs) flow(pair);
      }
      // Back on the same port, as a restarted server would be.
      if (!server.listening) await listen(port);
    },
    async refuse() {
      // A closing server waits for its connections: cut them after asking it to stop, not before waiting.
      const stopped = stopListening();
      cut();
      await stopped;
    },
    async close() {
      const stopped = stopListening();
      cut();
      await stopped;
    },
  };
}
