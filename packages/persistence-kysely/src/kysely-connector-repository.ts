import {
  type Connector,
  type ConnectorConfig,
  type ConnectorRepository,
  type ConnectorSyncOutcome,
  type ConnectorType,
  type Id,
  type Paged,
  type PageRequest,
  SECRET_KEYS,
} from '@signalbox/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ConnectorsTable, Schema } from './schema';
import type { SecretBox } from './secret-box';
import { isUuid, limitOffset, mustDate, toCount, toDate, uniquely } from './sql-support';

const isSecretKey = (k: string) => (SECRET_KEYS as readonly string[]).includes(k);

/**
 * Connectors. The config is split on write: the secret keys (`password`, `token`) are sealed
 * together into `secrets`, the rest is plain jsonb in `config`. Reads join them back.
 */
export class KyselyConnectorRepository implements ConnectorRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly box: SecretBox,
  ) {}

  async get(spaceId: Id, id: Id, opts: { forUpdate?: boolean } = {}) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.db
      .selectFrom('connectors')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .$if(opts.forUpdate === true, (q) => q.forUpdate())
      .executeTakeFirst();
    return row && this.toConnector(row);
  }

  async getByName(spaceId: Id, name: string) {
    if (!isUuid(spaceId)) return undefined;
    const row = await this.db.selectFrom('connectors').selectAll().where('space_id', '=', spaceId).where('name', '=', name).executeTakeFirst();
    return row && this.toConnector(row);
  }

  async list(spaceId: Id, page: PageRequest): Promise<Paged<Connector>> {
    if (!isUuid(spaceId)) return { items: [], total: 0 };
    const { limit, offset } = limitOffset(page);
    const inSpace = this.db.selectFrom('connectors').where('space_id', '=', spaceId);
    const [rows, count] = await Promise.all([
      inSpace.selectAll().orderBy('name').orderBy('id').limit(limit).offset(offset).execute(),
      inSpace.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map((r) => this.toConnector(r)), total: toCount(count.n) };
  }

  async create(c: Connector) {
    const { config, secrets } = this.split(c.id, c.config);
    await uniquely(
      () =>
        this.db
          .insertInto('connectors')
          .values({
            id: c.id,
            space_id: c.spaceId,
            name: c.name,
            type: c.type,
            config,
            secrets,
            cursor: c.cursor,
            last_sync_at: c.lastSyncAt,
            last_sync_status: c.lastSyncStatus,
            last_error: c.lastError,
            sync_interval_seconds: c.syncIntervalSeconds,
            next_sync_at: c.nextSyncAt,
            sync_failures: c.syncFailures,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute(),
      'CONNECTOR_EXISTS',
      `connector '${c.name}' exists`,
    );
  }

  async update(c: Connector) {
    if (!isUuid(c.spaceId) || !isUuid(c.id)) return false;
    const { config, secrets } = this.split(c.id, c.config);
    const r = await uniquely(
      () =>
        this.db
          .updateTable('connectors')
          .set({
            name: c.name,
            config,
            secrets,
            cursor: c.cursor,
            sync_interval_seconds: c.syncIntervalSeconds,
            next_sync_at: c.nextSyncAt,
            updated_at: c.updatedAt,
          })
          .where('space_id', '=', c.spaceId)
          .where('id', '=', c.id)
          .executeTakeFirst(),
      'CONNECTOR_EXISTS',
      `connector '${c.name}' exists`,
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async recordSync(spaceId: Id, id: Id, o: ConnectorSyncOutcome) {
    if (!isUuid(spaceId) || !isUuid(id)) return;
    await this.db
      .updateTable('connectors')
      .set({
        last_sync_at: o.at,
        last_sync_status: o.status,
        last_error: o.error,
        ...(o.cursor === undefined ? {} : { cursor: o.cursor }),
        ...(o.schedule ? { next_sync_at: o.schedule.nextSyncAt, sync_failures: o.schedule.failures } : {}),
      })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .execute();
  }

  async dueForSync(now: Date, limit: number) {
    const rows = await this.db
      .selectFrom('connectors')
      .selectAll()
      .where('next_sync_at', '<=', now)
      .orderBy('next_sync_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => this.toConnector(r));
  }

  /**
   * A compare-and-set on next_sync_at: of concurrent claims the first to update wins, the others find
   * the value moved. Compared at the millisecond, the precision `expected` was read at: a time the
   * database wrote itself (`now()`) has microseconds.
   */
  async claimScheduledSync(spaceId: Id, id: Id, expected: Date, next: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('connectors')
      .set({ next_sync_at: next })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where(sql<Date>`date_trunc('milliseconds', next_sync_at)`, '=', expected)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Foreign keys cascade from the connector to its pipelines, syncs, and on to runs, task runs,
   * watches and comments, all in this one statement.
   */
  async delete(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db.deleteFrom('connectors').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private split(id: Id, all: ConnectorConfig): { config: string; secrets: string | null } {
    const plain: ConnectorConfig = {};
    const secret: ConnectorConfig = {};
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined) continue;
      if (isSecretKey(k)) secret[k] = v;
      else plain[k] = v;
    }
    return {
      config: JSON.stringify(plain),
      secrets: Object.keys(secret).length === 0 ? null : this.box.seal(JSON.stringify(secret), id),
    };
  }

  private toConnector(r: Selectable<ConnectorsTable>): Connector {
    const secrets = r.secrets === null ? {} : (JSON.parse(this.box.open(r.secrets, r.id)) as ConnectorConfig);
    return {
      id: r.id,
      spaceId: r.space_id,
      name: r.name,
      type: r.type as ConnectorType,
      config: { ...r.config, ...secrets },
      cursor: r.cursor,
      lastSyncAt: toDate(r.last_sync_at),
      lastSyncStatus: r.last_sync_status as Connector['lastSyncStatus'],
      lastError: r.last_error,
      syncIntervalSeconds: r.sync_interval_seconds,
      nextSyncAt: toDate(r.next_sync_at),
      syncFailures: r.sync_failures,
      createdAt: mustDate(r.created_at),
      updatedAt: mustDate(r.updated_at),
    };
  }
}
