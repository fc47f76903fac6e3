import { ConnectError } from '../connector.js';
import { timedOut } from './socket-reasons.js';

/**
 * The open connect() of a connector. It ends exactly once: settled when the
 * link is up, or aborted with a reason (a failure, close(), or the clock,
 * which hands `onTimeout` the timeout's own reason so the connector can tear
 * down its socket the usual way).
 */
export class PendingAttempt {
  #timer: NodeJS.Timeout | undefined;
  #reject: ((error: Error) => void) | undefined;

  constructor(timeoutMs: number, onTimeout: (reason: string) => void, reject: (error: Error) => void) {
    this.#reject = reject;
    this.#timer = setTimeout(() => onTimeout(timedOut(timeoutMs)), timeoutMs);
  }

  /** The link is up: stop the clock. False when the attempt had already ended. */
  settle(): boolean {
    if (!this.#reject) return false;
    this.#end();
    return true;
  }

  /** Rejects connect() with `reason`, unless the attempt has already ended. */
  abort(reason: string): void {
    const reject = this.#reject;
    if (!reject) return;
    this.#end();
    reject(new ConnectError(reason));
  }

  #end(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#reject = undefined;
  }
}
