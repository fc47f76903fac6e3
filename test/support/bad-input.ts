import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { ConnectorFactory } from '../../src/runtime/connector.js';
import { ADMIN, mqttIntegration } from './app.js';
import type { StoreTarget } from './stores.js';

/**
 * Generators and valid starting points for test/api/bad-input.test.ts:
 * arbitrary and near-valid bodies and query strings, and the check that an
 * answer is well formed (SPEC §1).
 *
 * The seed is fixed so a failure reproduces; the properties must hold for any
 * seed, so change it (or remove it) to explore further.
 */
export const SEED = 20_240_613;
export const runs = (numRuns: number) => ({ seed: SEED, numRuns });

export const TYPE_BY_STATUS: Record<number, string> = {
  400: 'Validation',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
};

// ---------------------------------------------------------------- generators

/** Scalars that validators and stores trip on: boundaries, look-alikes, control and astral characters. */
export const edgeScalar = fc.constantFrom<unknown>(
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0.000001,
  65535,
  65536,
  2 ** 31,
  2 ** 53 + 1,
  1e308,
  -1e308,
  '',
  ' ',
  '0',
  '8883',
  'true',
  'null',
  '[]',
  '{}',
  'mqtt',
  'MQTT',
  'all.User',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  'é',
  'e\u0301',
  '😀',
  '\u202e',
  '\r\n',
  '<script>',
  "'; DROP TABLE integrations; --",
  '%',
  '_',
  '*',
  '#',
  '+',
  'a/#/b',
  'ws://',
  'wss://example.com/x',
  '2030-12-31T23:59:60Z',
  '2030-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '2030-01-01',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
);

/** Up to 70 000 characters: past every maxLength (255, 1024, 32 767, 65 535) without a megabyte body. */
export const hugeString = fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 200, max: 70_000 })).map(([s, n]) => s.repeat(n).slice(0, n));

export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: edgeScalar },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(edgeScalar, { maxLength: 5 }) },
);

/** Keys a body never has, including the ones prototype pollution goes through. */
export const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'then', 'id', 'applicationId', 'status', 'creationDate', ''];

/** encodeURIComponent refuses lone surrogates; a client could not send them either, so they become U+FFFD. */
export function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

export type Path = readonly (string | number)[];

/** Every field of a body, nested ones and array items included. */
export function fieldsOf(value: unknown, prefix: Path = []): Path[] {
  const children: [string | number, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : value !== null && typeof value === 'object' ? Object.entries(value) : [];
  return children.flatMap(([key, child]) => [[...prefix, key], ...fieldsOf(child, [...prefix, key])]);
}

/** Every object of a body (the body itself first), where a key it does not know can be added. */
export function objectsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const children: [string | number, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  return [...(Array.isArray(value) ? [] : [prefix]), ...children.flatMap(([key, child]) => objectsOf(child, [...prefix, key]))];
}

export function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), root);
}

/** A value of the same JSON type as `current`, but out of its range, length or format. */
export function sameKind(current: unknown): fc.Arbitrary<unknown> {
  if (typeof current === 'string') return fc.oneof(edgeScalar.filter((v) => typeof v === 'string'), fc.string({ unit: 'binary', maxLength: 40 }), hugeString);
  if (typeof current === 'number') return fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 0.5, 65536, 2 ** 53 + 1, 1e308));
  if (typeof current === 'boolean') return fc.boolean();
  if (Array.isArray(current)) {
    const first: unknown = current[0];
    // Duplicates exercise uniqueItems; same-kind items the item limits.
    return fc.oneof(fc.array(weirdValue, { maxLength: 4 }), fc.array(sameKind(first), { maxLength: 5 }), fc.constant([first, first]));
  }
  return weirdValue;
}

export interface Mutation {
  readonly path: Path;
  readonly op: 'set' | 'delete';
  readonly value: unknown;
}

/** Sets a key as an own property, so `__proto__` and friends reach the JSON text instead of a prototype. */
export function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function applyMutations(base: unknown, mutations: readonly Mutation[]): unknown {
  const root = structuredClone(base);
  for (const { path, op, value } of mutations) {
    let parent: unknown = root;
    for (const key of path.slice(0, -1)) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[key] : undefined;
    if (parent === null || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    if (op === 'delete') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete (parent as Record<string | number, unknown>)[key];
    } else {
      define(parent, key, value);
    }
  }
  return root;
}

/** A valid body with one to three fields changed (mostly to the same type, out of range), removed, or added. */
export function nearValid(bases: readonly unknown[]): fc.Arbitrary<string> {
  return fc.constantFrom(...bases).chain((base) => {
    const fields = fieldsOf(base);
    const change = fc.constantFrom(...fields).chain((path) => fc.record({ path: fc.constant(path), op: fc.constant<'set'>('set'), value: fc.oneof(sameKind(valueAt(base, path)), weirdValue) }));
    const remove = fc.record({ path: fc.constantFrom(...fields), op: fc.constant<'delete'>('delete'), value: fc.constant(undefined) });
    const add = fc.record({
      path: fc.tuple(fc.constantFrom(...objectsOf(base)), fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 8 }))).map(([at, key]): Path => [...at, key]),
      op: fc.constant<'set'>('set'),
      value: weirdValue,
    });
    const mutation = fc.oneof({ weight: 6, arbitrary: change }, { weight: 2, arbitrary: remove }, { weight: 2, arbitrary: add });
    return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => JSON.stringify(applyMutations(base, mutations)) ?? 'undefined');
  });
}

/** Text that is not JSON, or JSON of a shape no parser should have to guess at. */
export function malformed(bases: readonly unknown[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases).map((b) => JSON.stringify(b)), fc.nat(), fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(0, 1, 2, 3, 4, 5)).map(([text, at, depth, kind]) => {
    const i = at % (text.length + 1);
    switch (kind) {
      case 0:
        return text.slice(0, i);
      case 1:
        return `${text.slice(0, i)}\u0000${text.slice(i)}`;
      case 2:
        return `${text}}garbage`;
      case 3:
        return `${text.slice(0, -1)},"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      case 4:
        return `${text.slice(0, -1)},"name":{"__proto__":{"polluted":true}}}`;
      default:
        return `{"constructor":{"prototype":{"polluted":true}},${text.slice(1)}`;
    }
  });
}

/** Everything a client might send as a body. */
export function bodyText(bases: readonly unknown[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: nearValid(bases) },
    { weight: 1, arbitrary: fc.constantFrom(...bases).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: malformed(bases) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  );
}

/** Content types curl and friends send; the body is JSON whatever they say (SPEC, curl -d). */
export const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<string | undefined>('nonsense', '') },
);

// ---------------------------------------------------------------- known bugs

export interface Sent {
  readonly store: StoreTarget['name'];
  readonly method: string;
  readonly url: string;
  readonly text: string;
  readonly contentType?: string | undefined;
}

/** SPEC §1 for one response: no 5xx; an error is exactly { type, message } of its status; always JSON. */
export function expectWellFormed(res: LightMyRequestResponse, sent: Sent): void {
  const what = `${sent.method} ${sent.url} ${sent.text.slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, what).toBeLessThan(500);
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  if (res.statusCode < 400) return;
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body).sort(), what).toEqual(['message', 'type']);
  expect(body.type, what).toBe(TYPE_BY_STATUS[res.statusCode]);
  expect(typeof body.message === 'string' && body.message.trim() !== '', what).toBe(true);
}

// ---------------------------------------------------------------- valid bodies to start from

export const INTEGRATION_POSTS = [
  mqttIntegration({ enabled: false, credentialName: 'cred' }),
  { name: 'ws', integrationType: 'websocket', topics: [], websocketConfig: { url: 'wss://example.com/stream', username: 'u', password: 'p', headers: [{ headerKey: 'X-Key', headerValue: 'v' }] } },
  { name: 'particle', integrationType: 'particle', particleConfig: { accessToken: 'token', productSlugOrId: 'product', deviceNameOrId: 'dev' } },
  { name: 'sqs', integrationType: 'sqs', sqsConfig: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secretkey', region: 'us-east-1', queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q' } },
  { name: 'pubsub', integrationType: 'googlePubSub', topics: ['t'], googlePubSubConfig: { projectId: 'project', keyJson: '{"type":"service_account"}' } },
  { name: 'hub', integrationType: 'azureEventHub', azureEventHubConfig: { hubName: 'hub', consumerGroup: '$Default', connectionString: 'Endpoint=sb://x/;SharedAccessKey=k' } },
];
export const INTEGRATION_PATCHES = [
  { name: 'patched', enabled: false, topics: ['a/+/c', 'd/#'], credentialName: 'cred', mqttConfig: { host: 'broker.example.com', port: 1883, protocol: 'mqtt', clientId: 'c', clean: true, protocolVersion: '5' } },
  { topics: ['differentTopic'] },
  { credentialName: null },
];
export const APPLICATION_BODIES = [
  {
    name: 'app',
    description: 'd',
    endpointSlug: 'my-slug',
    expUserTokenCutoff: '2020-01-01T00:00:00.000Z',
    endpointDefaultCors: true,
    globals: [{ key: 'k', json: '1', cloudOnly: false, description: 'g' }],
    blobUrlTTL: 3600,
  },
  { name: 'plain' },
];
export const TOKEN_POSTS = [{ name: 'minted', description: 'd', expirationDate: '2099-01-01T00:00:00.000Z', scope: ['all.Application', 'integrations.get'], status: 'active' }];
export const TOKEN_PATCHES = [{ name: 'renamed', description: 'd', status: 'active' }];
export const LOGINS = [{ email: ADMIN.email, password: ADMIN.password, requestedScopes: ['all.User', 'integrations.get'], tokenTTL: 3600 }];
export const MQTT_PUBLISHES = [{ topic: 'a/b', message: 'hello', qos: 1, retain: false, encoding: 'utf8' }, { topic: 't', message: 'aGVsbG8=', encoding: 'base64' }];
export const WS_PUBLISHES = [{ message: 'hello' }, { message: 'AAEC', encoding: 'base64' }];

/** A connector that is always connected and accepts every message, so a valid publish answers 200. */
export const acceptingConnector: ConnectorFactory = () => ({
  connect: async () => {},
  setTopics: async () => {},
  publish: async () => {},
  close: async () => {},
});
