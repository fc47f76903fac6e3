import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { IntegrationSpec } from '../../domain/integration-spec.js';
import type { ChangeFeed, ClusterCensus, ClusterRepository, IntegrationRepository, RowChange } from '../../store/store.js';
import type { MessageBus } from '../message-bus.js';
import type { StatusFeed } from '../status-feed.js';
import type { StatusWriter } from '../status-writer.js';
import type { Supervisor } from '../supervisor.js';
import type { LogTail } from './log-tail.js';

export interface ClusterMemberDeps {
  readonly id: string;
  readonly leaseSeconds: number;
  readonly cluster: ClusterRepository;
  readonly integrations: Pick<IntegrationRepository, 'findByIds' | 'findById'>;
  /** Opens a row's secrets: the spec a link runs on. */
  readonly specOf: (row: Awaited<ReturnType<IntegrationRepository['findByIds']>>[number]) => IntegrationSpec;
  readonly changes: ChangeFeed;
  readonly supervisor: Supervisor;
  readonly writer: Pick<StatusWriter, 'flush'>;
  readonly statuses: Pick<StatusFeed, 'follows' | 'publishRemote'>;
  readonly bus: Pick<MessageBus, 'hasIntegration'>;
  /** Present when messages are retained: the streams read them from the log. */
  readonly tail: LogTail | undefined;
  readonly logger: Logger;
}

const HANDED_OVER = { error: 'Handed over to another node of the cluster', event: 'stopped' } as const;
const LEASE_LOST = { error: 'This node could not renew its lease in the database in time; another node takes the integration over', event: 'stopped' } as const;
const NOT_HELD = { error: 'Another node of the cluster holds the integration now', event: 'stopped' } as const;
/** Change notifications arriving together start one round. */
const SOON_MS = 20;

/**
 * How many integrations this node should claim (> 0) or hand over (< 0) this
 * round. Its share is fixed by the census alone: floor(enabled / live nodes),
 * one more for the first (enabled mod live nodes) nodes in id order, so the
 * shares add up to what is enabled and whatever is free has a node below its
 * share to take it; only such a node claims. A node hands over only past
 * ceil(enabled / live nodes) (a batch per round, ceil / 25, at least one: a
 * few at a time, the others untouched), or one at a time from ceil when its
 * share is floor and another node is below floor. So every node ends up
 * holding floor or ceil, and a change of one integration elsewhere (created,
 * disabled) moves nothing.
 */
export function balance({ enabled, liveNodes, mine, rank, fewest }: ClusterCensus): number {
  const nodes = Math.max(1, liveNodes);
  const floor = Math.floor(enabled / nodes);
  const ceil = Math.ceil(enabled / nodes);
  const share = floor + (rank < enabled - floor * nodes ? 1 : 0);
  if (mine < share) return share - mine;
  if (mine > ceil) return -Math.min(mine - ceil, Math.max(1, Math.ceil(ceil / 25)));
  if (mine > share && fewest < floor) return -1;
  return 0;
}

/**
 * This node's membership of the cluster (SPEC §8; the timing argument is in
 * README.md beside this file). Every round, each `tick` ms:
 *  1. renew the lease (or, once it ran out, close every connection at once
 *     and join again);
 *  2. drop the nodes whose lease ran out, which frees what they held;
 *  3. take free integrations up to this node's share, or hand a few over
 *     when it holds more (see balance());
 *  4. converge the links on what the store says this node holds.
 * A fence timer closes every connection `margin` before the lease could run
 * out in the database unless a renewal came first: the database's clock
 * decides when others may take over, this process's monotonic clock when it
 * must have let go, and the margin covers closing.
 */
export class ClusterMember {
  readonly tickMs: number;
  private readonly marginMs: number;
  /** performance.now() until which the lease surely holds (renewals are timed from when they were sent). */
  private validUntil = 0;
  private fenced = true;
  private fenceTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private url = '';
  private offFeed: (() => void) | undefined;
  private readonly refreshing = new Map<string, Promise<void>>();

  constructor(private readonly deps: ClusterMemberDeps) {
    const leaseMs = deps.leaseSeconds * 1000;
    this.tickMs = Math.min(1000, leaseMs / 5);
    this.marginMs = Math.max(1000, leaseMs / 5);
  }

  get nodeId(): string {
    return this.deps.id;
  }

  /** Joins (waiting out a lease a previous process of this id still holds); the first round follows one tick later, so nodes started together see each other. */
  async start(url: string): Promise<void> {
    this.url = url;
    this.offFeed = this.deps.changes.subscribe(
      (change) => this.onChange(change),
      () => {
        this.deps.tail?.reset();
        this.soon();
      },
    );
    while (!this.stopped) {
      try {
        if (await this.join()) break;
        this.deps.logger.warn({ node: this.deps.id }, 'a node with this NODE_ID still holds a lease; waiting for it to run out');
      } catch (err) {
        this.deps.logger.warn({ err }, 'could not join the cluster; retrying');
      }
      await new Promise((resolve) => setTimeout(resolve, this.tickMs));
    }
    this.schedule(this.tickMs);
  }

  /** Leaves the cluster: no more rounds; the links are closed (by the runtime) before leave() hands everything over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.roundTimer);
    clearTimeout(this.fenceTimer);
    this.offFeed?.();
    await this.round;
  }

  /** After the links are closed and their last statuses written: releases everything this node held, announced, so the others take it over at once. */
  async leave(): Promise<void> {
    try {
      await this.deps.cluster.leave(this.deps.id);
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not leave the cluster; the others take over once the lease runs out');
    }
  }

  /** Starts a round soon (the change feed said something moved). */
  private soon(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.schedule(SOON_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.roundTimer);
    this.roundTimer = setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    if (this.round || this.stopped) return;
    this.round = (async () => {
      do {
        this.again = false;
        try {
          await this.step();
        } catch (err) {
          this.deps.logger.warn({ err }, 'cluster round failed; retrying');
        }
      } while (this.again && !this.stopped);
    })();
    await this.round;
    this.round = undefined;
    if (!this.stopped) this.schedule(this.tickMs);
  }

  private async join(): Promise<boolean> {
    const sent = performance.now();
    if (!(await this.deps.cluster.join({ id: this.deps.id, url: this.url }, this.deps.leaseSeconds))) return false;
    this.leased(sent);
    this.deps.logger.info({ node: this.deps.id, url: this.url }, 'joined the cluster');
    return true;
  }

  /** A renewal sent at `sent` succeeded: the lease holds until at least sent + lease in real time. */
  private leased(sent: number): void {
    this.validUntil = sent + this.deps.leaseSeconds * 1000 - this.marginMs;
    const left = this.validUntil - performance.now();
    clearTimeout(this.fenceTimer);
    if (left <= 0) return this.fence();
    this.fenced = false;
    this.fenceTimer = setTimeout(() => this.fence(), left);
  }

  /** The lease may run out before a renewal: close every connection now, before anyone else may open one. */
  private fence(): void {
    if (this.fenced) return;
    this.fenced = true;
    const linked = [...this.deps.supervisor.linked()];
    this.deps.logger.error({ node: this.deps.id, integrations: linked.length }, 'could not renew the lease in time: closing every connection');
    void this.deps.supervisor.release(linked, LEASE_LOST);
  }

  private get holding(): boolean {
    return !this.fenced && performance.now() < this.validUntil;
  }

  private async step(): Promise<void> {
    const { cluster, id } = { cluster: this.deps.cluster, id: this.deps.id };
    const sent = performance.now();
    if (await cluster.renew(id, this.deps.leaseSeconds)) {
      this.leased(sent);
    } else {
      // The lease ran out (the database was out of reach, or this process stalled): what it held may be another's.
      this.fence();
      if (!(await this.join())) return;
    }
    if (!this.holding) return;
    await cluster.reapExpired();
    const census = await cluster.census(id);
    const move = balance(census);
    if (move > 0) {
      const claimed = await cluster.claim(id, move, census.liveNodes);
      if (claimed.length > 0) await this.adopt(claimed);
    } else if (move < 0) {
      await this.handOver(-move);
    }
    await this.converge();
  }

  private async specs(ids: readonly string[]): Promise<IntegrationSpec[]> {
    return (await this.deps.integrations.findByIds(ids)).map((row) => this.deps.specOf(row));
  }

  private async adopt(ids: readonly string[]): Promise<void> {
    const specs = await this.specs(ids);
    if (this.holding) this.deps.supervisor.adopt(specs);
  }

  /** Hands `n` integrations over, one batch: closed (last statuses written while still held), then released. */
  private async handOver(n: number): Promise<void> {
    const ids: string[] = [];
    for (const linked of this.deps.supervisor.linked()) {
      if (ids.length >= n) break;
      ids.push(linked);
    }
    if (ids.length === 0) return;
    await this.deps.supervisor.release(ids, HANDED_OVER);
    await this.deps.writer.flush();
    await this.deps.cluster.release(this.deps.id, ids);
    this.deps.logger.info({ integrations: ids.length }, 'handed integrations over to balance the cluster');
  }

  /** Links what the store says this node holds and nothing else; releases what it holds but no longer links (disabled, deleted). */
  private async converge(): Promise<void> {
    const held = new Set(await this.deps.cluster.heldBy(this.deps.id));
    const lost = [...this.deps.supervisor.linked()].filter((id) => !held.has(id));
    if (lost.length > 0) await this.deps.supervisor.release(lost, NOT_HELD);
    const unlinked = [...held].filter((id) => !this.deps.supervisor.holds(id));
    if (unlinked.length === 0) return;
    const specs = await this.specs(unlinked);
    const enabled = specs.filter((spec) => spec.enabled);
    if (this.holding) this.deps.supervisor.adopt(enabled);
    const keep = new Set(enabled.map((spec) => spec.id));
    const done = unlinked.filter((id) => !keep.has(id));
    if (done.length > 0) {
      // Their last status ("disabled") is written while this node still holds them.
      await this.deps.writer.flush();
      await this.deps.cluster.release(this.deps.id, done);
    }
  }

  private onChange(change: RowChange): void {
    switch (change.table) {
      case 'integrations':
        if (this.deps.supervisor.holds(change.id) || this.deps.bus.hasIntegration(change.id)) this.refresh(change.id);
        // Created or enabled: one of the nodes with room takes it.
        this.soon();
        return;
      case 'integration_status':
        if (change.detail !== undefined && !this.deps.supervisor.holds(change.id) && this.deps.statuses.follows(change.detail)) {
          void this.remoteStatus(change.detail, change.id);
        }
        return;
      case 'messages': {
        if (change.detail === undefined) return;
        const [pos, origin] = change.detail.split(':');
        // What this node committed reaches its tail without a read (LogTail.publish).
        if (origin !== this.deps.id) this.deps.tail?.committed(change.id, Number(pos));
        return;
      }
      case 'cluster':
        this.soon();
        return;
    }
  }

  /** Applies an integration's stored state to its link, in the order the changes came. */
  private refresh(id: string): void {
    const previous = this.refreshing.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const [spec] = await this.specs([id]);
        this.deps.supervisor.refresh(id, spec);
      } catch (err) {
        this.deps.logger.warn({ err, integrationId: id }, 'could not read a changed integration; the next round converges');
      }
    });
    this.refreshing.set(id, next);
    void next.then(() => {
      if (this.refreshing.get(id) === next) this.refreshing.delete(id);
    });
  }

  private async remoteStatus(applicationId: string, integrationId: string): Promise<void> {
    try {
      const row = await this.deps.integrations.findById(applicationId, integrationId);
      if (row) this.deps.statuses.publishRemote({ integrationId, applicationId, status: row.status });
    } catch {
      // The next change says it again.
    }
  }
}
