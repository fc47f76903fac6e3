import * as http from 'node:http';
import * as https from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { PendingAttempt } from '../attempt.js';
import { describeParticleError, describeParticleResponse, KEEPALIVE_TIMEOUT, STREAM_ENDED, targetOf } from './reasons.js';
import { SseParser } from './sse.js';

/** What an open stream reports; nothing is reported after close(). */
export interface StreamHandlers {
  event(name: string, data: string): void;
  /** Any bytes, Particle's `:ok` keep-alives included. */
  alive(): void;
  /** The stream ended after it had opened; called once. */
  ended(reason: string): void;
}

export interface EventStream {
  /** Resolves once Particle answered 200; rejects with a ConnectError in its words. */
  readonly opened: Promise<void>;
  close(): void;
}

/** Bytes of a refusal's body we read for its words. */
const ERROR_BODY_LIMIT = 8192;

/** Checks every address the API's host resolves to (OUTBOUND_DENY / OUTBOUND_ALLOW); set by the connector. */
export interface Reach {
  readonly lookup?: LookupFunction;
}

export function send(url: URL, options: http.RequestOptions, reach: Reach = {}): ClientRequest {
  const withLookup = reach.lookup ? { ...options, lookup: reach.lookup } : options;
  return url.protocol === 'http:' ? http.request(url, withLookup) : https.request(url, withLookup);
}

/**
 * One GET of a Particle event stream over plain node:http(s). A silence
 * longer than `idleMs` (no event, no keep-alive comment) ends it.
 */
export function openEventStream(url: URL, token: string, timeouts: { connectMs: number; idleMs: number }, handlers: StreamHandlers, reach: Reach = {}): EventStream {
  let up = false;
  let done = false;
  let attempt: PendingAttempt | undefined;
  const request = send(url, { method: 'GET', headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, reach);
  const end = (reason: string) => {
    if (done) return;
    done = true;
    request.destroy();
    if (attempt) attempt.abort(reason);
    else if (up) handlers.ended(reason);
  };
  const opened = new Promise<void>((resolve, reject) => {
    attempt = new PendingAttempt(timeouts.connectMs, end, reject);
    request.once('response', (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        void readLimited(response).then((body) => end(describeParticleResponse(response.statusCode ?? 0, body)));
        return;
      }
      if (done || !attempt?.settle()) return;
      attempt = undefined;
      up = true;
      request.setTimeout(timeouts.idleMs, () => end(KEEPALIVE_TIMEOUT));
      resolve();
      const parser = new SseParser((name, data) => {
        if (!done) handlers.event(name, data);
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (done) return;
        handlers.alive();
        parser.push(chunk);
      });
      response.once('end', () => end(STREAM_ENDED));
      // A connection cut mid-stream may close the response without an 'end'.
      response.once('close', () => end(STREAM_ENDED));
      response.once('error', (error) => end(describeParticleError(error, targetOf(url))));
    });
  });
  request.on('error', (error) => end(describeParticleError(error, targetOf(url))));
  request.end();
  return {
    opened,
    close: () => {
      done = true;
      attempt?.abort('The stream was closed');
      request.destroy();
    },
  };
}

async function readLimited(response: IncomingMessage): Promise<string> {
  let body = '';
  response.setEncoding('utf8');
  try {
    for await (const chunk of response) {
      body += chunk as string;
      if (body.length >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // What arrived is still the best account of the refusal.
  }
  return body;
}

/** POSTs a form and resolves on a 2xx answer; rejects with Particle's words otherwise. */
export function postForm(url: URL, token: string, form: Record<string, string>, timeoutMs: number, reach: Reach = {}): Promise<void> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, reach);
    request.once('response', (response) => {
      void readLimited(response).then((text) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(describeParticleResponse(status, text)));
      });
    });
    request.once('timeout', () => request.destroy(new Error(`Particle did not answer within ${timeoutMs} ms`)));
    request.once('error', (error) => reject(new Error(describeParticleError(error, targetOf(url)), { cause: error })));
    request.end(body);
  });
}
