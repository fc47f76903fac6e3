import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { IntegrationType } from '../domain/integration-types.js';
import type { Connector, ConnectorEvents, ConnectorFactory, ConnectorOptions } from './connector.js';
import { timedOut } from './connectors/socket-reasons.js';

export type ProbeResult = { readonly success: true; readonly latencyMs: number } | { readonly success: false; readonly error: string };

/** The reason a status gives for a type no connector serves (the supervisor's words). */
export function notConnectedYet(type: IntegrationType): string {
  return `Tributary does not connect ${type} integrations yet`;
}

/** A refused subscription in the words of the connection history (Link's subscribeFailed event). */
function refusal(refused: readonly { topic: string; reason: string }[]): string {
  return `Subscription refused: ${refused.map((r) => `${r.topic}: ${r.reason}`).join('; ')}`;
}

/**
 * One connection attempt with a config that is not stored (POST
 * …/integrations/probe): connect, subscribe to its topics, close. Success is
 * a link that came up with every subscription granted; anything else is a
 * failure with the reason a status would give. Messages that arrive
 * meanwhile are ignored and never acknowledged, so a source that waits for
 * acknowledgements delivers them again. Bounded by the connect timeout
 * whatever the connector does.
 */
export async function probeConnection(
  spec: IntegrationSpec,
  factories: Partial<Record<IntegrationType, ConnectorFactory>>,
  options: ConnectorOptions,
  now: () => number = () => performance.now(),
): Promise<ProbeResult> {
  const factory = factories[spec.integrationType];
  if (!factory) return { success: false, error: notConnectedYet(spec.integrationType) };
  let refused: string | undefined;
  let lost: string | undefined;
  const events: ConnectorEvents = {
    down: (reason) => (lost ??= reason),
    message: () => {},
    alive: () => {},
    subscriptionsRefused: (list) => (refused ??= refusal(list)),
  };
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  let connector: Connector | undefined;
  try {
    connector = factory(spec, events, options);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(timedOut(options.connectTimeoutMs))), options.connectTimeoutMs);
    });
    await Promise.race([connector.connect(), deadline]);
    const latencyMs = Math.round(now() - started);
    if (refused !== undefined) return { success: false, error: refused };
    if (lost !== undefined) return { success: false, error: lost };
    return { success: true, latencyMs };
  } catch (err) {
    return { success: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    // The answer does not wait for a polite goodbye.
    void connector?.close().catch(() => {});
  }
}
