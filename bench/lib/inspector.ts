/**
 * Asks a Node process started with --inspect=127.0.0.1:<port> to collect
 * garbage and report process.memoryUsage(), over the inspector protocol. A
 * resident-memory figure taken without a full GC would count whatever
 * garbage the last requests left, which says nothing about what each
 * integration costs to keep.
 */
import WebSocket from 'ws';

export type MemoryUsage = Readonly<Record<'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number>>;

interface Reply {
  readonly id?: number;
  readonly result?: { readonly result?: { readonly value?: unknown } };
  readonly error?: { readonly message: string };
}

async function debuggerUrl(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5000) });
  const targets = (await response.json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`The inspector on port ${port} lists no target`);
  return url;
}

/** Two full collections (the second frees what the first only finalized), then memoryUsage(). */
export async function collectGarbage(port: number): Promise<MemoryUsage> {
  const socket = new WebSocket(await debuggerUrl(port));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  socket.on('message', (raw: Buffer) => {
    const reply = JSON.parse(raw.toString('utf8')) as Reply;
    const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id!);
    if (reply.error) waiter.reject(new Error(`inspector: ${reply.error.message}`));
    else waiter.resolve(reply);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    return JSON.parse(String(reply.result?.result?.value)) as MemoryUsage;
  } finally {
    socket.close();
  }
}
