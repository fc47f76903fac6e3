import { NotFoundError, ValidationError } from '../../errors.js';
import type { DomainEvents } from '../../events.js';
import { newId } from '../../lib/ids.js';
import { Lru } from '../../lib/lru.js';
import type { Sealer } from '../../security/sealer.js';
import type { IntegrationEventRow, IntegrationEventSortField, IntegrationRow, IntegrationSortField, ListQuery, Page, Store } from '../../store/store.js';
import { checkConfig } from './config-checks.js';
import type { IntegrationInput } from './schemas.js';
import { mergeConfig, openSecrets, sealSecrets, splitConfig } from './secrets.js';
import type { IntegrationSpec } from '../../domain/integration-spec.js';
import { ALL_CONFIG_KEYS, CONFIG_KEYS, INTEGRATION_TYPES, isIntegrationType, SECRET_FIELDS, type IntegrationType } from '../../domain/integration-types.js';
import type { OutboundPolicy } from '../../runtime/connectors/outbound.js';

export interface Integration {
  readonly row: IntegrationRow;
  readonly spec: IntegrationSpec;
}

/**
 * Integrations: validation beyond the schema, sealing of secrets, storage,
 * and an announcement of every change (DomainEvents) for whoever keeps the
 * live connections. It knows nothing about connectors.
 */
/** Opened secrets kept per integration, valid while its sealed value is unchanged. */
const OPENED_CACHE_SIZE = 20_000;

export class IntegrationService {
  private readonly opened = new Lru<string, { sealed: string; secret: Record<string, unknown> }>(OPENED_CACHE_SIZE);

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
    /** Where integrations may connect: a config naming a refused IP address is a 400. */
    private readonly outbound?: OutboundPolicy,
  ) {}

  async create(applicationId: string, input: IntegrationInput): Promise<Integration> {
    const { type, config, topics } = this.checkNew(input);

    const at = this.now();
    const id = newId(at.getTime());
    const { plain, secret } = splitConfig(type, config);
    const row: IntegrationRow = {
      id,
      applicationId,
      name: input.name!,
      integrationType: type,
      enabled: input.enabled ?? true,
      topics,
      credentialName: input.credentialName ?? null,
      config: plain,
      secrets: sealSecrets(this.sealer, id, secret),
      status: {},
      creationDate: at.toISOString(),
      lastUpdated: at.toISOString(),
    };
    await this.store.integrations.insert(row);
    // Not remembered: keeping every new integration's secrets would fill the heap with what nobody has asked for yet.
    const spec = this.specWith(row, secret);
    this.events.emit('integrationCreated', spec);
    return { row, spec };
  }

  /**
   * The integration create() would store, checked the same way (beyond the
   * POST schema), with nothing stored and nothing announced: for a
   * connection test. Its id is fresh, so nothing it does is taken for an
   * existing integration's.
   */
  validate(applicationId: string, input: IntegrationInput): IntegrationSpec {
    const { type, config, topics } = this.checkNew(input);
    return { id: newId(this.now().getTime()), applicationId, name: input.name!, integrationType: type, enabled: input.enabled ?? true, topics, config, status: {} };
  }

  async get(applicationId: string, id: string): Promise<Integration> {
    const row = await this.store.integrations.findById(applicationId, id);
    if (!row) throw new NotFoundError('Integration was not found');
    return { row, spec: this.specOf(row) };
  }

  async list(applicationId: string, query: ListQuery<IntegrationSortField>): Promise<Page<Integration>> {
    const page = await this.store.integrations.list(applicationId, query);
    return { items: page.items.map((row) => ({ row, spec: this.specOf(row) })), totalCount: page.totalCount };
  }

  async update(applicationId: string, id: string, input: IntegrationInput): Promise<Integration> {
    const before = await this.get(applicationId, id);
    const type = before.spec.integrationType;
    this.refuseOtherConfigs(type, input);
    const givenConfig = input[CONFIG_KEYS[type]] as Record<string, unknown> | undefined;
    const config = givenConfig ?? before.spec.config;
    const topics = input.topics ?? before.row.topics;
    if (givenConfig !== undefined || input.topics !== undefined) checkConfig(type, config, topics, this.outbound);

    let { config: plain, secrets } = before.row;
    let opened: Record<string, unknown> | undefined;
    if (givenConfig !== undefined) {
      // A config object given replaces the stored one whole, secrets included.
      const split = splitConfig(type, givenConfig);
      plain = split.plain;
      secrets = sealSecrets(this.sealer, id, split.secret);
      opened = split.secret;
    }
    const row: IntegrationRow = {
      ...before.row,
      name: input.name ?? before.row.name,
      enabled: input.enabled ?? before.row.enabled,
      topics,
      credentialName: input.credentialName === undefined ? before.row.credentialName : input.credentialName,
      config: plain,
      secrets,
      lastUpdated: this.now().toISOString(),
    };
    if (!(await this.store.integrations.update(row))) throw new NotFoundError('Integration was not found');
    if (opened) this.remember(row, opened);
    // The status may have moved on while we worked; report the stored one.
    const stored = (await this.store.integrations.findById(applicationId, id)) ?? row;
    const spec = this.specOf(stored);
    this.events.emit('integrationUpdated', before.spec, spec);
    return { row: stored, spec };
  }

  async delete(applicationId: string, id: string): Promise<void> {
    const { spec } = await this.get(applicationId, id);
    if (!(await this.store.integrations.delete(applicationId, id))) throw new NotFoundError('Integration was not found');
    this.opened.delete(id);
    this.events.emit('integrationDeleted', { id, applicationId });
    this.events.emit('integrationsRemoved', [spec]);
  }

  /**
   * Seals config fields that became secrets after a row was written (WebSocket
   * URLs and headers were plain text before): each such row is written again
   * with them sealed. Run once at start; rows already sealed are left alone.
   * Returns how many were sealed.
   */
  async sealLegacySecrets(pageSize = 500): Promise<number> {
    let sealed = 0;
    for (const type of INTEGRATION_TYPES) {
      const secretFields = SECRET_FIELDS[type];
      let after: string | null = null;
      for (;;) {
        const rows = await this.store.integrations.listOfType(type, after, pageSize);
        for (const row of rows) {
          if (!secretFields.some((field) => row.config[field] !== undefined && row.config[field] !== null)) continue;
          const { plain, secret } = splitConfig(type, this.specOf(row).config);
          if (await this.store.integrations.update({ ...row, config: plain, secrets: sealSecrets(this.sealer, row.id, secret) })) sealed += 1;
        }
        if (rows.length < pageSize) break;
        after = rows[rows.length - 1]!.id;
      }
    }
    return sealed;
  }

  /** Every integration of the application, secrets opened: what a deleted application takes with it. */
  async specsOfApplication(applicationId: string): Promise<IntegrationSpec[]> {
    const specs: IntegrationSpec[] = [];
    for (let page = 0; ; page++) {
      const found = await this.store.integrations.list(applicationId, { sortField: 'id', sortDirection: 'asc', page, perPage: 1000 });
      for (const row of found.items) specs.push(this.specOf(row));
      if (found.items.length < 1000) return specs;
    }
  }

  /** The integration's connection history (404 when the integration does not exist). */
  async listEvents(applicationId: string, id: string, query: ListQuery<IntegrationEventSortField>): Promise<Page<IntegrationEventRow>> {
    if (!(await this.store.integrations.findById(applicationId, id))) throw new NotFoundError('Integration was not found');
    return this.store.integrationEvents.list(applicationId, id, query);
  }

  async exists(applicationId: string, id: string): Promise<boolean> {
    return (await this.store.integrations.findById(applicationId, id)) !== undefined;
  }

  /** Every enabled integration of the given types, secrets opened, in pages. */
  async *enabledSpecs(types: readonly IntegrationType[], pageSize = 1000): AsyncGenerator<IntegrationSpec> {
    let after: string | null = null;
    for (;;) {
      const rows = await this.store.integrations.listEnabled(types, after, pageSize);
      for (const row of rows) yield this.specOf(row);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  specOf(row: IntegrationRow): IntegrationSpec {
    return this.specWith(row, this.openSecrets(row));
  }

  private specWith(row: IntegrationRow, secret: Record<string, unknown>): IntegrationSpec {
    const type = row.integrationType as IntegrationType;
    return {
      id: row.id,
      applicationId: row.applicationId,
      name: row.name,
      integrationType: type,
      enabled: row.enabled,
      topics: row.topics,
      config: mergeConfig(row.config, secret),
      status: row.status,
    };
  }

  /** What was just sealed need not be opened again. */
  private remember(row: IntegrationRow, secret: Record<string, unknown>): void {
    if (row.secrets !== null) this.opened.set(row.id, { sealed: row.secrets, secret });
  }

  /** AES-GCM opening costs more than reading the row; a sealed value never changes, so its opening is kept. */
  private openSecrets(row: IntegrationRow): Record<string, unknown> {
    if (row.secrets === null) return {};
    const hit = this.opened.get(row.id);
    if (hit?.sealed === row.secrets) return hit.secret;
    const secret = openSecrets(this.sealer, row.id, row.secrets);
    this.opened.set(row.id, { sealed: row.secrets, secret });
    return secret;
  }

  /** A POST body, past its schema: a known type, only its config, a config and topics the type accepts. */
  private checkNew(input: IntegrationInput): { type: IntegrationType; config: Record<string, unknown>; topics: string[] } {
    const type = input.integrationType!;
    if (!isIntegrationType(type)) throw new ValidationError(`integrationType ${type} is not supported`);
    this.refuseOtherConfigs(type, input);
    const config = input[CONFIG_KEYS[type]] as Record<string, unknown>;
    const topics = input.topics ?? [];
    checkConfig(type, config, topics, this.outbound);
    return { type, config, topics };
  }

  private refuseOtherConfigs(type: IntegrationType, input: IntegrationInput): void {
    for (const key of ALL_CONFIG_KEYS) {
      if (key !== CONFIG_KEYS[type] && input[key] !== undefined) {
        throw new ValidationError(`${key} cannot be given for an integration of type ${type} (use ${CONFIG_KEYS[type]})`);
      }
    }
  }
}
