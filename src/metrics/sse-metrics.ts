/**
 * What the SSE streams report: how many are open, how many events were
 * dropped for clients too slow to take them. Plain numbers, read at scrape
 * time. The streams call these through SseOptions.metrics.
 */
export class SseMetrics {
  clients = 0;
  dropped = 0;

  sseOpened(): void {
    this.clients += 1;
  }

  sseClosed(): void {
    this.clients -= 1;
  }

  sseDropped(count: number): void {
    this.dropped += count;
  }
}
