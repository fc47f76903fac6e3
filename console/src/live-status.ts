import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api';
import { isAbort, readSse } from './sse';
import type { IntegrationStatus } from './types';

const POLL_MS = 2000;

/** Set once the server says it has no status stream, so later pages poll without asking again. */
let streamMissing = false;

export interface StatusFeed {
  /** One integration's new status, from the stream. */
  onStatus(integrationId: string, status: IntegrationStatus): void;
  /** Reloads what the page shows; used while the stream is unavailable. */
  poll(): Promise<void>;
}

/**
 * Keeps a page's statuses live: the application's integrationStatusStream
 * when the server has it, else (and while it is down) a reload every 2 s.
 */
export function useLiveStatus(applicationId: string, feed: StatusFeed): void {
  const current = useRef(feed);
  current.current = feed;

  useEffect(() => {
    const abort = new AbortController();
    let pollTimer: number | undefined;
    let retryTimer: number | undefined;

    const startPolling = () => {
      if (pollTimer !== undefined) return;
      pollTimer = window.setInterval(() => void current.current.poll().catch(() => {}), POLL_MS);
    };
    const stopPolling = () => {
      window.clearInterval(pollTimer);
      pollTimer = undefined;
    };

    const connect = async () => {
      if (streamMissing) return startPolling();
      try {
        await readSse(`/applications/${applicationId}/integrationStatusStream`, {
          signal: abort.signal,
          onOpen: stopPolling,
          onEvent: (event) => {
            if (event.event !== 'integrationStatus') return;
            const data = JSON.parse(event.data) as { integrationId: string; status: IntegrationStatus };
            current.current.onStatus(data.integrationId, data.status);
          },
        });
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 404 && err.message.startsWith('Route ')) {
          streamMissing = true;
          return startPolling();
        }
        if (err instanceof ApiError && err.status === 401) return;
      }
      if (abort.signal.aborted) return;
      // The stream ended or failed: poll meanwhile, and reopen it a little later.
      startPolling();
      await current.current.poll().catch(() => {});
      retryTimer = window.setTimeout(() => void connect(), POLL_MS);
    };
    void connect();

    return () => {
      abort.abort();
      stopPolling();
      window.clearTimeout(retryTimer);
    };
  }, [applicationId]);
}
