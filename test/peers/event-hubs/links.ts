import type { Connection, Delivery, Receiver, Sender } from 'rhea';

/**
 * The few rhea internals the peer reads that its typings leave out. rhea's
 * links keep the attach frames they exchanged in `local`/`remote`; a delivery
 * knows the message format of its transfer.
 */
export interface Terminus {
  readonly address?: string;
  readonly filter?: unknown;
}

interface AttachFrames {
  readonly remote: { readonly attach?: { readonly source?: Terminus; readonly target?: Terminus } };
  readonly local: { readonly attach: { max_message_size?: number } };
}

export function remoteSource(link: Sender | Receiver): Terminus | undefined {
  return (link as unknown as AttachFrames).remote.attach?.source;
}

export function remoteTarget(link: Sender | Receiver): Terminus | undefined {
  return (link as unknown as AttachFrames).remote.attach?.target;
}

/** Echoes the client's termini back (an attach with a null terminus means "refused" in AMQP). */
export function mirrorTermini(link: Sender | Receiver): void {
  const source = remoteSource(link);
  const target = remoteTarget(link);
  link.set_source({ address: source?.address ?? '' });
  link.set_target({ address: target?.address ?? '' });
}

export function offerMaxMessageSize(link: Receiver, bytes: number): void {
  (link as unknown as AttachFrames).local.attach.max_message_size = bytes;
}

export function formatOf(delivery: Delivery): number | undefined {
  return (delivery as unknown as { format?: number }).format;
}

/** The link on `connection` that answers a request with `replyTo`: named so, or targeting that address. */
export function replyLink(connection: Connection, replyTo: string): Sender | undefined {
  return connection.find_sender((sender: Sender) => sender.name === replyTo || remoteTarget(sender)?.address === replyTo);
}
