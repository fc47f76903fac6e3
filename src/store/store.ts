import type { IntegrationStatus } from '../domain/integration-status.js';

/**
 * The store: the only way the rest of the system reads or writes data.
 * One interface, two implementations (SQLite, PostgreSQL) sharing Kysely
 * repositories; the dialect folders hold what differs between them.
 * Rows are plain records; the API shapes live with the resources.
 */

export type SortDirection = 'asc' | 'desc';

export interface ListQuery<Field extends string> {
  readonly sortField: Field;
  readonly sortDirection: SortDirection;
  readonly page: number;
  readonly perPage: number;
  readonly filterField?: Field | undefined;
  /** A glob: `*` is a wildcard, everything else literal; case-insensitive. */
  readonly filter?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  readonly totalCount: number;
}

export interface UserRow {
  id: string;
  email: string;
  passwordHash: string;
  creationDate: string;
  lastUpdated: string;
}

export interface ApplicationRow {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  /** Other Losant application fields we accept and echo back (endpointSlug, globals, …). */
  attributes: Record<string, unknown>;
  creationDate: string;
  lastUpdated: string;
}

export type TokenStatus = 'active' | 'inactive';

export interface TokenRow {
  id: string;
  applicationId: string;
  name: string;
  description: string | null;
  scope: string[];
  status: TokenStatus;
  expirationDate: string | null;
  creatorId: string;
  creatorType: 'user' | 'apiToken';
  creatorName: string | null;
  creationDate: string;
  lastUpdated: string;
}

export type { IntegrationStatus };

export interface IntegrationRow {
  id: string;
  applicationId: string;
  name: string;
  integrationType: string;
  enabled: boolean;
  topics: string[];
  credentialName: string | null;
  /** The non-secret fields of the type's config object. */
  config: Record<string, unknown>;
  /** The secret fields of the config, sealed by the caller; opaque to the store. */
  secrets: string | null;
  status: IntegrationStatus;
  creationDate: string;
  lastUpdated: string;
}

export interface IntegrationEventRow {
  id: string;
  integrationId: string;
  applicationId: string;
  /** Milliseconds since the epoch. */
  ts: number;
  type: string;
  message: string | null;
}

export type ApplicationSortField = 'name' | 'id' | 'creationDate' | 'lastUpdated' | 'ownerId';
export type TokenSortField = 'name' | 'status' | 'id' | 'creationDate' | 'lastUpdated' | 'expirationDate';
export type IntegrationSortField = 'name' | 'id' | 'creationDate' | 'integrationType' | 'lastUpdated';
export type IntegrationEventSortField = 'ts' | 'type' | 'id';

export interface UserRepository {
  /** Adds the user; false when one with the same email (compared case-folded) is there already, made by anyone. */
  insert(row: UserRow): Promise<boolean>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  findById(id: string): Promise<UserRow | undefined>;
  count(): Promise<number>;
  updatePassword(id: string, passwordHash: string, lastUpdated: string): Promise<boolean>;
}

export interface ApplicationRepository {
  insert(row: ApplicationRow): Promise<void>;
  findById(id: string): Promise<ApplicationRow | undefined>;
  list(ownerId: string, query: ListQuery<ApplicationSortField>): Promise<Page<ApplicationRow>>;
  update(row: ApplicationRow): Promise<boolean>;
  /** Removes the application with its tokens, integrations and their events; returns the removed integration ids. */
  delete(id: string): Promise<string[] | undefined>;
  countChildren(ids: readonly string[]): Promise<Map<string, { integrationCount: number; apiTokenCount: number }>>;
}

export interface TokenRepository {
  insert(row: TokenRow): Promise<void>;
  findById(id: string): Promise<TokenRow | undefined>;
  list(applicationId: string, query: ListQuery<TokenSortField>): Promise<Page<TokenRow>>;
  update(row: TokenRow): Promise<boolean>;
  delete(applicationId: string, id: string): Promise<boolean>;
}

export interface IntegrationRepository {
  insert(row: IntegrationRow): Promise<void>;
  findById(applicationId: string, id: string): Promise<IntegrationRow | undefined>;
  list(applicationId: string, query: ListQuery<IntegrationSortField>): Promise<Page<IntegrationRow>>;
  /** Every enabled integration of the given types, for the runtime to converge on; in id order, paged by `afterId`. */
  listEnabled(types: readonly string[], afterId: string | null, limit: number): Promise<IntegrationRow[]>;
  /** Every integration of the type, enabled or not; in id order, paged by `afterId`. */
  listOfType(type: string, afterId: string | null, limit: number): Promise<IntegrationRow[]>;
  /** Writes everything but `status`, which only the runtime writes. */
  update(row: IntegrationRow): Promise<boolean>;
  delete(applicationId: string, id: string): Promise<boolean>;
  /**
   * Writes many statuses; rows that no longer exist are skipped, and so are
   * those `holder` (a cluster node's id) does not hold (SPEC §8: status is
   * written by the holder only).
   */
  writeStatuses(statuses: ReadonlyMap<string, IntegrationStatus>, holder?: string): Promise<void>;
  /** These integrations as stored (those that exist), read afresh. */
  findByIds(ids: readonly string[]): Promise<IntegrationRow[]>;
}

export interface IntegrationEventRepository {
  insertMany(rows: readonly IntegrationEventRow[]): Promise<void>;
  list(applicationId: string, integrationId: string, query: ListQuery<IntegrationEventSortField>): Promise<Page<IntegrationEventRow>>;
  /** Keeps the newest `keep` events of each given integration. */
  trim(integrationIds: readonly string[], keep: number): Promise<void>;
}

/** A message on its way into the retained log (SPEC §6). */
export interface NewMessage {
  readonly integrationId: string;
  readonly applicationId: string;
  /** Milliseconds since the epoch, when it arrived. */
  readonly time: number;
  readonly topic: string;
  /** The payload as text: UTF-8 as is, or base64 when `encoding` says so. */
  readonly message: string;
  readonly encoding: 'base64' | null;
  readonly sourceId: string | null;
  readonly attributes: Readonly<Record<string, string>> | null;
}

export interface MessageRow extends NewMessage {
  /** The message's id: strictly increasing within its application, in commit order. */
  readonly pos: number;
}

export interface MessageQuery {
  /** Only messages after this position. */
  readonly since?: number | undefined;
  readonly sortDirection: SortDirection;
  readonly page: number;
  readonly perPage: number;
}

/** Where a stream's cursor stands (see MessageRepository.cursor). */
export interface CursorInfo {
  /** The integration whose message holds that position, when it is retained. */
  readonly owner: string | undefined;
  /** The newest position pruned: of the integration, or of any integration of the application. */
  readonly prunedThrough: number;
  /** The application's newest position. */
  readonly last: number;
}

export interface MessageRepository {
  /**
   * Appends messages and resolves, once they are committed, with each one's
   * position (in the order given; a message's positions grow with its
   * application's, in commit order, across every node).
   */
  append(messages: readonly NewMessage[]): Promise<number[]>;
  list(applicationId: string, integrationId: string, query: MessageQuery): Promise<Page<MessageRow>>;
  /** Up to `limit` messages after `pos`, oldest first: of one integration, or (null) of the whole application. */
  after(applicationId: string, integrationId: string | null, pos: number, limit: number): Promise<MessageRow[]>;
  cursor(applicationId: string, integrationId: string | null, pos: number): Promise<CursorInfo>;
  /**
   * `after()` together with the newest pruned position, read in one
   * statement so they agree: a replay compares them to tell a reader exactly
   * when messages it was owed were pruned.
   */
  page(applicationId: string, integrationId: string | null, pos: number, limit: number): Promise<{ rows: MessageRow[]; prunedThrough: number }>;
  /** Keeps the newest `keep` messages of the integration. */
  keepNewest(integrationId: string, keep: number): Promise<void>;
  /** Removes messages that arrived before `time`, a slice at a time. */
  pruneBefore(time: number): Promise<void>;
}

/** A partition's read position (Event Hubs): reading resumes after `sequenceNumber`. */
export interface PartitionCheckpoint {
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly offset: string;
}

export interface CheckpointRepository {
  /** The positions kept for the integration's `source` (what they belong to: namespace, hub, consumer group). */
  load(integrationId: string, source: string): Promise<PartitionCheckpoint[]>;
  save(integrationId: string, source: string, checkpoint: PartitionCheckpoint): Promise<void>;
}

/** A live member of the cluster, as GET /cluster shows it. */
export interface ClusterNodeRow {
  readonly id: string;
  readonly url: string;
  /** ISO-8601. */
  readonly startedAt: string;
  readonly lastSeen: string;
  /** How many integrations it holds. */
  readonly integrations: number;
}

/** What a node needs to know to take its share (see ClusterRepository.census). */
export interface ClusterCensus {
  readonly liveNodes: number;
  readonly enabled: number;
  /** Enabled or not: a node releases what it no longer links on its next round. */
  readonly held: number;
  readonly mine: number;
  /** How many live nodes have an id that sorts before this node's (its place in the cluster). */
  readonly rank: number;
  /** What the live node holding the fewest holds. */
  readonly fewest: number;
}

/**
 * Membership and ownership (PostgreSQL only; SPEC §8). Leases are on the
 * database's clock: a node's lease runs until `lease_until`, set from now()
 * at each renewal, and only an expired node's holds may pass to another.
 * Every method that changes who holds what announces it on the change feed
 * (`cluster:<what>`), so the others act at once rather than at their next round.
 */
export interface ClusterRepository {
  /**
   * Joins with a lease of `leaseSeconds`; false while a node of the same id
   * still holds an unexpired lease (another process, or this one before a
   * crash). A stale row of the same id is dropped with its holds first.
   */
  join(node: { id: string; url: string }, leaseSeconds: number): Promise<boolean>;
  /** Extends the lease; false when it had run out or the node was removed (it holds nothing then, or soon will not). */
  renew(id: string, leaseSeconds: number): Promise<boolean>;
  /** Removes the nodes whose lease ran out, releasing what they held; returns how many were removed. */
  reapExpired(): Promise<number>;
  census(id: string): Promise<ClusterCensus>;
  /**
   * Takes up to `limit` enabled integrations that nobody holds, provided the
   * node's lease still runs and the cluster still has `liveNodes` live nodes
   * (the census the limit came from still holds: a node that joined since
   * must not lose what is handed over for it); returns their ids.
   */
  claim(id: string, limit: number, liveNodes: number): Promise<string[]>;
  /** The integrations the node holds. */
  heldBy(id: string): Promise<string[]>;
  release(id: string, integrationIds: readonly string[]): Promise<void>;
  /** Leaves the cluster, releasing everything it holds. */
  leave(id: string): Promise<void>;
  /** The live node holding the integration, if any. */
  holderOf(integrationId: string): Promise<{ id: string; url: string } | undefined>;
  liveNodes(): Promise<ClusterNodeRow[]>;
}

export interface SettingRepository {
  get(key: string): Promise<string | undefined>;
  /** Sets the value unless one is there; returns the value that is stored afterwards. */
  getOrInsert(key: string, value: string): Promise<string>;
}

/**
 * `<table>:<id>[:<detail>]` as PostgreSQL announces it: a row of a cached
 * table changed (`integrations`, `api_tokens`, `applications`); only an
 * integration's status changed (`integration_status`, detail: its
 * application); an application's log grew (`messages`, id: the application,
 * detail: its newest position, then `:<node>` when the committing node said
 * who it is).
 */
export interface RowChange {
  readonly table: string;
  readonly id: string;
  readonly detail?: string;
}

/**
 * Changes to cached rows made by anyone, this process included; only stores
 * with other writers have one (PostgreSQL). While `live` is false, caches
 * must not be trusted; `reset` asks listeners to drop everything they hold.
 */
export interface ChangeFeed {
  readonly live: boolean;
  subscribe(change: (change: RowChange) => void, reset: () => void): () => void;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Present when other processes may write the same data (PostgreSQL). */
  readonly changes?: ChangeFeed;
  readonly users: UserRepository;
  readonly applications: ApplicationRepository;
  readonly tokens: TokenRepository;
  readonly integrations: IntegrationRepository;
  readonly integrationEvents: IntegrationEventRepository;
  readonly settings: SettingRepository;
  readonly messages: MessageRepository;
  readonly checkpoints: CheckpointRepository;
  /** Present when several nodes may share the store (PostgreSQL). */
  readonly cluster?: ClusterRepository;
  /** The cluster node it was opened for, when it was told (see StoreOptions). */
  readonly nodeId?: string;
  /** Throws StoreUnavailableError when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
