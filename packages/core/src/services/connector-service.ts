import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { type Connector, type ConnectorConfig, checkConnectorType, checkSyncInterval, newConnector, publicConfig } from '../connector/connector';
import { notFound } from '../errors';
import type { ProviderInfo, ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { checkName } from '../space/space';
import type { SpaceAccess } from './space-access';

export interface NewConnector {
  name: string;
  type: string;
  config: ConnectorConfig;
  /** Absent: the type's default; null: manual syncs only. */
  syncIntervalSeconds?: number | null;
}

export interface ConnectorChanges {
  name?: string;
  config?: ConnectorConfig;
  /** Null stops scheduled syncs. */
  syncIntervalSeconds?: number | null;
}

/** Orchestrator instances of a space. Members read them (without secrets), admins manage them. */
export class ConnectorService {
  constructor(
    private readonly connectors: ConnectorRepository,
    /** An edit reads and writes the connector in one unit, its row locked against a sync's writes. */
    private readonly uow: UnitOfWork,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async list(actor: Actor, slug: string, page: PageRequest): Promise<Paged<Connector>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    return this.connectors.list(space.id, page);
  }

  async get(actor: Actor, slug: string, id: string): Promise<Connector> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    return this.mustGet(space.id, id);
  }

  /**
   * Throws invalid (type, config field or sync_interval_seconds) | conflict (CONNECTOR_EXISTS) | for a
   * type checked on create, what its check throws (bad_gateway, unavailable, timeout).
   */
  async create(actor: Actor, slug: string, input: NewConnector): Promise<Connector> {
    const space = await this.access.resolve(actor, slug, 'connector:manage');
    const type = checkConnectorType(input.type);
    const factory = this.registry.factory(type);
    const connector = newConnector(
      {
        id: this.ids.id(),
        spaceId: space.id,
        name: checkName(input.name),
        type,
        config: factory.checkConfig(input.config),
        ...(input.syncIntervalSeconds === undefined ? {} : { syncIntervalSeconds: checkSyncInterval(input.syncIntervalSeconds, type) }),
      },
      this.clock.now(),
    );
    // A type that asks for it is connected to first: a wrong token or URL is told now, not at the first sync.
    if (factory.checkOnCreate) await factory.create(connector).check();
    await this.connectors.create(connector);
    return connector;
  }

  /**
   * Changes the name and merges `config` into the stored one: a key set to null is removed, an absent
   * key is kept (so write-only secrets survive an edit that does not repeat them). A change to any
   * setting but a secret (the URL, the API version, the user…) resets the sync cursor, so the next
   * sync reads the whole look-back window from what may be another orchestrator. A new sync
   * interval makes the next scheduled sync due at once when there was none, and no later than one
   * new interval from now otherwise; null stops scheduled syncs. Throws not_found | invalid | conflict.
   */
  async update(actor: Actor, slug: string, id: string, input: ConnectorChanges): Promise<Connector> {
    const space = await this.access.resolve(actor, slug, 'connector:manage');
    return this.uow.run(async (r) => {
      const current = await r.connectors.get(space.id, id, { forUpdate: true });
      if (!current) throw notFound('connector', id);
      const next = this.changed(current, input);
      if (!(await r.connectors.update(next))) throw notFound('connector', id);
      return next;
    });
  }

  private changed(current: Connector, input: ConnectorChanges): Connector {
    let config = current.config;
    if (input.config) {
      const merged: ConnectorConfig = { ...current.config };
      for (const [k, v] of Object.entries(input.config)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      config = this.registry.factory(current.type).checkConfig(merged);
    }
    const next: Connector = {
      ...current,
      name: input.name === undefined ? current.name : checkName(input.name),
      config,
      cursor: sameSource(current.config, config) ? current.cursor : null,
      ...this.schedule(current, input.syncIntervalSeconds),
      updatedAt: this.clock.now(),
    };
    return next;
  }

  /** Deletes the connector with everything synced from it. Throws not_found. */
  async delete(actor: Actor, slug: string, id: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'connector:manage');
    if (!(await this.connectors.delete(space.id, id))) throw notFound('connector', id);
  }

  /** Asks the orchestrator whether it answers and accepts the connector's credentials. */
  async check(actor: Actor, slug: string, id: string): Promise<ProviderInfo> {
    const space = await this.access.resolve(actor, slug, 'connector:manage');
    return this.registry.forConnector(await this.mustGet(space.id, id)).check();
  }

  private schedule(current: Connector, interval: number | null | undefined): Pick<Connector, 'syncIntervalSeconds' | 'nextSyncAt'> {
    if (interval === undefined || interval === current.syncIntervalSeconds)
      return { syncIntervalSeconds: current.syncIntervalSeconds, nextSyncAt: current.nextSyncAt };
    const checked = checkSyncInterval(interval, current.type);
    if (checked === null) return { syncIntervalSeconds: null, nextSyncAt: null };
    const now = this.clock.now();
    const soonest = new Date(now.getTime() + checked * 1000);
    const nextSyncAt = current.nextSyncAt === null ? now : current.nextSyncAt < soonest ? current.nextSyncAt : soonest;
    return { syncIntervalSeconds: checked, nextSyncAt };
  }

  private async mustGet(spaceId: string, id: string): Promise<Connector> {
    const c = await this.connectors.get(spaceId, id);
    if (!c) throw notFound('connector', id);
    return c;
  }
}

/** Whether two configs name the same source: equal in every setting but the secrets. */
function sameSource(a: ConnectorConfig, b: ConnectorConfig): boolean {
  const settings = (c: ConnectorConfig) =>
    JSON.stringify(
      Object.entries(publicConfig(c))
        .filter(([k]) => !k.endsWith('_set'))
        .sort(([x], [y]) => (x < y ? -1 : 1)),
    );
  return settings(a) === settings(b);
}
