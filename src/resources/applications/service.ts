import type { IntegrationSpec } from '../../domain/integration-spec.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { DomainEvents } from '../../events.js';
import { newId } from '../../lib/ids.js';
import type { ApplicationRow, ApplicationSortField, ListQuery, Page, Store } from '../../store/store.js';
import { ATTRIBUTE_NAMES, type ApplicationInput } from './schemas.js';
import type { Summary } from './mapping.js';

function pickAttributes(input: ApplicationInput, into: Record<string, unknown>): Record<string, unknown> {
  const out = { ...into };
  for (const name of ATTRIBUTE_NAMES) if (input[name] !== undefined) out[name] = input[name];
  if (typeof input.expUserTokenCutoff === 'string') {
    // Dates go out as ISO-8601 with milliseconds, whatever form they came in.
    const ms = Date.parse(input.expUserTokenCutoff);
    if (Number.isNaN(ms)) throw new ValidationError('expUserTokenCutoff is not a date this server can represent');
    out.expUserTokenCutoff = new Date(ms).toISOString();
  }
  return out;
}

export class ApplicationService {
  constructor(
    private readonly store: Store,
    private readonly events: DomainEvents,
    /** The integrations an application takes with it when deleted (announced as integrationsRemoved). */
    private readonly integrationsOf: (applicationId: string) => Promise<readonly IntegrationSpec[]> = async () => [],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(ownerId: string, input: ApplicationInput): Promise<ApplicationRow> {
    const at = this.now();
    const row: ApplicationRow = {
      id: newId(at.getTime()),
      ownerId,
      name: input.name!,
      description: input.description ?? null,
      attributes: pickAttributes(input, {}),
      creationDate: at.toISOString(),
      lastUpdated: at.toISOString(),
    };
    await this.store.applications.insert(row);
    return row;
  }

  async get(id: string): Promise<ApplicationRow> {
    const row = await this.store.applications.findById(id);
    if (!row) throw new NotFoundError('Application was not found');
    return row;
  }

  list(ownerId: string, query: ListQuery<ApplicationSortField>): Promise<Page<ApplicationRow>> {
    return this.store.applications.list(ownerId, query);
  }

  async summaries(ids: readonly string[]): Promise<Map<string, Summary>> {
    return this.store.applications.countChildren(ids);
  }

  async update(id: string, input: ApplicationInput): Promise<ApplicationRow> {
    const current = await this.get(id);
    const row: ApplicationRow = {
      ...current,
      name: input.name ?? current.name,
      description: input.description ?? current.description,
      attributes: pickAttributes(input, current.attributes),
      lastUpdated: this.now().toISOString(),
    };
    if (!(await this.store.applications.update(row))) throw new NotFoundError('Application was not found');
    return row;
  }

  /** Deletes the application with its tokens and integrations; listeners close their connections. */
  async delete(id: string): Promise<void> {
    const removing = await this.integrationsOf(id);
    const integrationIds = await this.store.applications.delete(id);
    if (!integrationIds) throw new NotFoundError('Application was not found');
    this.events.emit('applicationDeleted', { id, integrationIds });
    const removed = new Set(integrationIds);
    this.events.emit('integrationsRemoved', removing.filter((spec) => removed.has(spec.id)));
  }
}
