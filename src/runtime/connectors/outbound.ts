import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** A CIDR block as the config holds it (OUTBOUND_DENY, OUTBOUND_ALLOW). */
export interface CidrBlock {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * A connection refused by the outbound policy. Its code is ECONNREFUSED
 * because mqtt.js passes on only socket errors with one of a few codes and
 * swallows the rest; the message (what disconnectInfo.error shows, see
 * socket-reasons.ts) says the real reason.
 */
export class OutboundDeniedError extends Error {
  override readonly name = 'OutboundDeniedError';
  readonly code = 'ECONNREFUSED';
}

/**
 * Where integrations may connect (SPEC §10): never into OUTBOUND_DENY (by
 * default link-local, where cloud metadata services live), and only into
 * OUTBOUND_ALLOW when it is set. Checked on the addresses a host name resolves
 * to (the `lookup` given to every socket), so a name pointing at a denied
 * address fails too, and on IP literals, which skip DNS.
 */
export interface OutboundPolicy {
  /** Why connecting to this IP address is not allowed, or undefined when it is. */
  refusal(address: string): string | undefined;
  /** For a host that is an IP literal (in any form a URL accepts): why it is refused; undefined for names and allowed addresses. */
  literalRefusal(host: string): string | undefined;
  /** dns.lookup, refusing (OutboundDeniedError) when any address the name resolves to is not allowed. */
  readonly lookup: LookupFunction;
}

function format(block: CidrBlock): string {
  return `${block.address}/${block.prefix}`;
}

function blockListOf(block: CidrBlock): BlockList {
  const list = new BlockList();
  list.addSubnet(block.address, block.prefix, block.family);
  return list;
}

/** An address as BlockList wants it: no brackets, no zone id, IPv4-mapped IPv6 as IPv4. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  let plain = address.replace(/^\[|\]$/g, '');
  const zone = plain.indexOf('%');
  if (zone >= 0) plain = plain.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) plain = mapped[1]!;
  const family = isIP(plain);
  return family === 0 ? undefined : { address: plain, family: family === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * The IP a host stands for when it is a literal: the WHATWG URL parser reads
 * every IPv4 spelling (`2852039166`, `0xa9fea9fe`, `169.254.43518`) the way
 * the resolver would, and unwraps `[v6]`.
 */
function literalAddress(host: string): string | undefined {
  if (isIP(host.replace(/^\[|\]$/g, '').replace(/%.*$/, '')) !== 0) return host;
  try {
    const hostname = new URL(`http://${host.includes(':') ? `[${host}]` : host}/`).hostname;
    return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0 ? hostname : undefined;
  } catch {
    return undefined;
  }
}

export function outboundPolicy(deny: readonly CidrBlock[], allow: readonly CidrBlock[]): OutboundPolicy {
  const denied = deny.map((block) => ({ name: format(block), list: blockListOf(block) }));
  const allowed = allow.map((block) => blockListOf(block));
  const allowNames = allow.map(format).join(',');

  const refusal = (address: string): string | undefined => {
    const ip = normalise(address);
    if (!ip) return undefined;
    const hit = denied.find((d) => d.list.check(ip.address, ip.family));
    if (hit) return `Connecting to ${ip.address} is not allowed (OUTBOUND_DENY ${hit.name})`;
    if (allowed.length > 0 && !allowed.some((list) => list.check(ip.address, ip.family))) {
      return `Connecting to ${ip.address} is not allowed (not in OUTBOUND_ALLOW ${allowNames})`;
    }
    return undefined;
  };

  const lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      for (const { address } of addresses) {
        const why = refusal(address);
        if (why) return callback(new OutboundDeniedError(address === hostname ? why : why.replace(`to ${address}`, `to ${hostname} (${address})`)), '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
      callback(null, first.address, first.family);
    });
  };

  return {
    refusal,
    literalRefusal: (host) => {
      const address = literalAddress(host);
      return address === undefined ? undefined : refusal(address);
    },
    lookup,
  };
}

/** Throws OutboundDeniedError when `host` is an IP literal the policy refuses (literals never reach `lookup`). */
export function checkLiteralHost(policy: OutboundPolicy | undefined, host: string): void {
  const why = policy?.literalRefusal(host);
  if (why) throw new OutboundDeniedError(why);
}
