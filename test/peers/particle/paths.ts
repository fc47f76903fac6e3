/**
 * Particle's event-stream paths:
 * `/v1/[orgs/{org}/][products/{product}/][devices/[{device}/]]events[/{prefix}]`.
 * `/v1/devices/events` is the caller's own devices ("mine"); `/v1/events`,
 * the public firehose Particle has retired, is not served.
 */
export interface StreamScope {
  readonly org?: string;
  readonly product?: string;
  /** A device name or id, or 'mine' for every device of the account. */
  readonly device?: string;
  readonly prefix: string;
}

const STREAM_PATH = /^\/v1\/(?:orgs\/([^/]+)\/)?(?:products\/([^/]+)\/)?(?:devices\/(?:([^/]+)\/)?)?events(?:\/([^/]+))?\/?$/;

export function parseStreamPath(pathname: string): StreamScope | undefined {
  const match = STREAM_PATH.exec(pathname);
  if (!match) return undefined;
  const [, org, product, device, prefix] = match;
  const devices = pathname.includes('/devices/');
  if (!org && !product && !devices) return undefined;
  const decode = (part: string | undefined) => (part === undefined ? undefined : decodeURIComponent(part));
  return { org: decode(org), product: decode(product), device: devices ? (decode(device) ?? 'mine') : undefined, prefix: decode(prefix) ?? '' };
}

/** Where an emitted event comes from. */
export interface EventOrigin {
  readonly coreid: string;
  /** The device's name, matched like its id. */
  readonly deviceName?: string;
  readonly product?: string;
  readonly org?: string;
}

/** Whether a stream of `scope` carries event `name` from `origin`. */
export function carries(scope: StreamScope, name: string, origin: EventOrigin): boolean {
  if (!name.startsWith(scope.prefix)) return false;
  if (scope.org !== undefined && scope.org !== origin.org) return false;
  if (scope.product !== undefined && scope.product !== origin.product) return false;
  if (scope.device !== undefined && scope.device !== 'mine' && scope.device !== origin.coreid && scope.device !== origin.deviceName) return false;
  return true;
}
