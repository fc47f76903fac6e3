import { createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';

/**
 * One TLS SecureContext (an OpenSSL SSL_CTX with its parsed CA store,
 * certificate and key) per distinct set of TLS material, shared by every
 * connection that uses it. Node otherwise builds a new one for every
 * connection, which costs more memory than the rest of an MQTT connection.
 * Connectors hold their context strongly; the cache only weakly, so a context
 * goes away with the last integration using it.
 */

export interface TlsMaterial {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

const contexts = new Map<string, WeakRef<SecureContext>>();
const forget = new FinalizationRegistry<string>((id) => {
  if (contexts.get(id)?.deref() === undefined) contexts.delete(id);
});

/** Throws when the PEM material is invalid; the caller's connect() turns that into its rejection. */
export function sharedSecureContext(material: TlsMaterial): SecureContext {
  // A digest as the key: the map then holds a few bytes per entry, not a copy of the PEM texts.
  const id = createHash('sha256')
    .update(material.ca ?? '')
    .update('\0')
    .update(material.cert ?? '')
    .update('\0')
    .update(material.key ?? '')
    .digest('base64');
  const cached = contexts.get(id)?.deref();
  if (cached !== undefined) return cached;
  let context: SecureContext;
  try {
    context = createSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  } catch (error) {
    // OpenSSL's words alone ("PEM routines::no start line") do not say which setting is wrong.
    const code = (error as { code?: unknown }).code;
    throw Object.assign(new Error(`Invalid TLS certificate, key or CA certificate: ${(error as Error).message}`), { code });
  }
  contexts.set(id, new WeakRef(context));
  forget.register(context, id);
  return context;
}
