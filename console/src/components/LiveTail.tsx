import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { isAbort, readSse, type SseEvent } from '../sse';

const KEEP = 200;
const RETRY_MAX_MS = 15_000;

interface TailMessage {
  readonly key: string;
  readonly time: string;
  readonly topic: string;
  readonly message: string;
  readonly encoding?: string;
}

type TailState = 'connecting' | 'live' | 'paused' | 'retrying' | 'stopped';

const STATE_TEXT: Record<TailState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  paused: 'Paused',
  retrying: 'Reconnecting…',
  stopped: 'Stopped',
};

/**
 * The integration's messageStream, newest first. It starts on its own;
 * pausing closes the stream, and resuming opens it again from the last id
 * received (Last-Event-ID), so the server replays what came in meanwhile.
 */
export function LiveTail({ path }: { path: string }) {
  const [messages, setMessages] = useState<TailMessage[]>([]);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<TailState>('connecting');
  const [notice, setNotice] = useState<string>();
  const lastId = useRef<string | undefined>(undefined);
  const counter = useRef(0);

  useEffect(() => {
    if (paused) {
      setState('paused');
      return;
    }
    const abort = new AbortController();
    let retry: number | undefined;
    let delay = 1000;

    const onEvent = (event: SseEvent) => {
      if (event.id !== undefined) lastId.current = event.id;
      if (event.event === 'integrationMessage') {
        const data = JSON.parse(event.data) as Omit<TailMessage, 'key'>;
        const key = event.id ?? `local-${++counter.current}`;
        setMessages((current) => [{ key, time: data.time, topic: data.topic, message: data.message, ...(data.encoding ? { encoding: data.encoding } : {}) }, ...current].slice(0, KEEP));
      } else if (event.event === 'messagesLost' || event.event === 'dropped') {
        setNotice('Some messages were lost before they could be shown (the stream fell too far behind or they are no longer retained).');
      }
    };

    const run = async () => {
      setState('connecting');
      try {
        await readSse(`${path}/messageStream`, {
          signal: abort.signal,
          lastEventId: lastId.current,
          onOpen: () => {
            setState('live');
            delay = 1000;
          },
          onEvent,
        });
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 400 && lastId.current !== undefined) {
          // The cursor is no longer accepted: continue live from now.
          lastId.current = undefined;
        } else if (err instanceof ApiError && err.status !== 429 && err.status < 500) {
          setState('stopped');
          setNotice(err.message);
          return;
        }
      }
      if (abort.signal.aborted) return;
      setState('retrying');
      retry = window.setTimeout(() => void run(), delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
    void run();
    return () => {
      abort.abort();
      window.clearTimeout(retry);
    };
  }, [path, paused]);

  return (
    <section class="tail" aria-label="Live messages">
      <h2>Live messages</h2>
      <p class="actions">
        <span class={`tail-state tail-${state}`} role="status">
          {STATE_TEXT[state]}
        </span>
        <button type="button" class="secondary" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" class="secondary" onClick={() => setMessages([])} disabled={messages.length === 0}>
          Clear
        </button>
      </p>
      {notice ? <p class="notice">{notice}</p> : null}
      {messages.length === 0 ? (
        <p class="muted">No messages yet.</p>
      ) : (
        <ol class="messages">
          {messages.map((m) => (
            <li key={m.key}>
              <time dateTime={m.time}>{new Date(m.time).toLocaleTimeString()}</time> <code class="topic">{m.topic}</code>
              {m.encoding ? <span class="muted"> ({m.encoding})</span> : null}
              <pre>{m.message}</pre>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
