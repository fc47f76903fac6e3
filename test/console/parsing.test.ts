import { describe, expect, it } from 'vitest';
import { fieldOfMessage } from '../../console/src/field-errors.js';
import { SseParser, type SseEvent } from '../../console/src/sse-parser.js';

/** The console's two pieces of pure logic, without a browser. */

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('the console reading Server-Sent Events', () => {
  it('reads events, their ids and multi-line data, and skips comments', () => {
    expect(parse([':ok\n\n', 'event: integrationMessage\nid: 7\ndata: {"a":1}\n\n', ':keepalive\n\n', 'data: one\ndata: two\n\n'])).toEqual([
      { event: 'integrationMessage', data: '{"a":1}', id: '7' },
      // The last id carries over to later events, as in the standard.
      { event: 'message', data: 'one\ntwo', id: '7' },
    ]);
  });

  it('puts events split anywhere across chunks back together, \\r\\n included', () => {
    const text = 'event: integrationStatus\r\nid: 12\r\ndata: {"integrationId":"x"}\r\n\r\nevent: dropped\ndata:{}\n\n';
    const whole = parse([text]);
    for (let cut = 1; cut < text.length; cut++) expect(parse([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    expect(whole).toEqual([
      { event: 'integrationStatus', data: '{"integrationId":"x"}', id: '12' },
      { event: 'dropped', data: '{}', id: '12' },
    ]);
  });

  it('holds back an event until its blank line arrives', () => {
    expect(parse(['event: integrationMessage\ndata: {}\n'])).toEqual([]);
  });
});

describe('the console placing a validation message at its field', () => {
  const known = new Set(['name', 'topics', 'config', 'config.port', 'config.host', 'config.headers']);
  it.each([
    ['mqttConfig.port must be <= 65535', 'config.port'],
    ['mqttConfig.host is required', 'config.host'],
    ['mqttConfig.certificate and mqttConfig.privateKey must be given together', 'config'],
    ['websocketConfig.headers[0].headerKey is not a valid HTTP header name', 'config.headers'],
    ['mqttConfig.foo is not an allowed field', 'config'],
    ['azureEventHubConfig must have hubName and consumerGroup, and exactly one of connectionString or hostName', 'config'],
    ['topics[1] is not a valid MQTT topic filter: # must be last', 'topics'],
    ['name must NOT have fewer than 1 characters', 'name'],
  ])('%s → %s', (message, field) => {
    expect(fieldOfMessage(message, known)).toBe(field);
  });

  it('leaves a message that names no field of the form to the form itself', () => {
    expect(fieldOfMessage('The request body must be an object', known)).toBeUndefined();
    expect(fieldOfMessage('credentialName must be a string', known)).toBeUndefined();
  });
});
