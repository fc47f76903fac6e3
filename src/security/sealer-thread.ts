import { Worker } from 'node:worker_threads';
import { checkKey, IV_BYTES, IV_POOL, openNow, SEALED_VERSION, type Sealer } from './sealer.js';

/**
 * The thread's program (CommonJS, evaluated by the Worker so it runs the same
 * from src/ and dist/). It seals exactly as sealNow() in sealer.ts does, with
 * the format's constants passed in from there; a test opens what it seals
 * with openNow().
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv, randomBytes } = require('node:crypto');
const { ivBytes, ivPool, version } = workerData;
const key = Buffer.from(workerData.key);
let pool = Buffer.alloc(0);
let offset = 0;
function nextIv() {
  if (offset + ivBytes > pool.length) {
    pool = randomBytes(ivBytes * ivPool);
    offset = 0;
  }
  offset += ivBytes;
  return pool.subarray(offset - ivBytes, offset);
}
function seal(plaintext, associatedData) {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [version, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}
parentPort.on('message', ({ id, items }) => {
  try {
    parentPort.postMessage({ id, sealed: JSON.stringify(JSON.parse(items).map(([plaintext, associatedData]) => seal(plaintext, associatedData))) });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

/** Seals asked for in one turn past this many are sent without waiting for the turn to end. */
const EAGER_BATCH = 128;

interface Request {
  readonly item: readonly [string, string];
  resolve(sealed: string): void;
  reject(error: Error): void;
}

/**
 * A sealer that seals on a thread of its own: creating an AES-GCM cipher costs
 * more than everything else a POST does with the secret, and under load it
 * would be the event loop's. Seals asked for in one event-loop turn go as one
 * message (or several, when a long turn asks for many). Opening stays here: it is rarer (openings are cached) and a GET
 * should not wait for a thread.
 */
export function createThreadedSealer(key: Buffer): Sealer {
  checkKey(key);
  const worker = new Worker(SOURCE, { eval: true, workerData: { key, ivBytes: IV_BYTES, ivPool: IV_POOL, version: SEALED_VERSION } });
  worker.unref();
  const waiting = new Map<number, Request[]>();
  let batch: Request[] | undefined;
  let nextId = 0;
  let failure: Error | undefined;

  const fail = (err: Error) => {
    failure ??= err;
    for (const requests of waiting.values()) for (const request of requests) request.reject(err);
    waiting.clear();
  };
  worker.on('message', (message: { id: number; sealed?: string; error?: string }) => {
    const requests = waiting.get(message.id) ?? [];
    waiting.delete(message.id);
    if (waiting.size === 0) worker.unref();
    const all = message.sealed === undefined ? [] : (JSON.parse(message.sealed) as string[]);
    requests.forEach((request, i) => {
      const sealed = all[i];
      if (sealed === undefined) request.reject(new Error(`Sealing failed: ${message.error ?? 'no answer'}`));
      else request.resolve(sealed);
    });
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`The sealing thread exited (code ${code})`)));

  const send = () => {
    const requests = batch;
    if (!requests) return;
    batch = undefined;
    if (failure) return requests.forEach((request) => request.reject(failure!));
    const id = nextId++;
    if (waiting.size === 0) worker.ref();
    waiting.set(id, requests);
    // One JSON string clones much faster than many small ones.
    worker.postMessage({ id, items: JSON.stringify(requests.map((request) => request.item)) });
  };

  return {
    seal(plaintext, associatedData) {
      if (failure) return Promise.reject(failure);
      if (!batch) {
        batch = [];
        setImmediate(send);
      }
      const requests = batch;
      const sealed = new Promise<string>((resolve, reject) => requests.push({ item: [plaintext, associatedData], resolve, reject }));
      // A long turn need not keep the thread idle until its end: a full batch goes at once.
      if (requests.length >= EAGER_BATCH) send();
      return sealed;
    },
    open: (sealed, associatedData) => openNow(key, sealed, associatedData),
    async close() {
      failure ??= new Error('The sealer is closed');
      await worker.terminate();
    },
  };
}
