import type { Id, Paged, PageRequest, SyncRecord, SyncRepository, SyncStatus } from '@signalbox/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema, SyncsTable } from './schema';
import { inTransaction, isUuid, limitOffset, mustDate, toCount, toDate } from './sql-support';

const toSync = (r: Selectable<SyncsTable>): SyncRecord => ({
  id: r.id,
  spaceId: r.space_id,
  connectorId: r.connector_id,
  status: r.status as SyncStatus,
  triggeredBy: r.triggered_by,
  startedAt: mustDate(r.started_at),
  heartbeatAt: mustDate(r.heartbeat_at),
  finishedAt: toDate(r.finished_at),
  counts: { pipelines: r.pipelines, removedPipelines: r.removed_pipelines, runs: r.runs, taskRuns: r.task_runs },
  error: r.error,
});

export const ABANDONED = 'abandoned: no heartbeat within the lease';

export class KyselySyncRepository implements SyncRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /**
   * In one transaction (the unit of work's, inside one): fail the connector's running sync if its heartbeat is stale, then insert
   * the new one. The partial unique index syncs(connector_id) WHERE status = 'running' is what makes
   * this atomic across processes: of two concurrent inserts one waits on the other's index entry and
   * then does nothing, and reads the winner. Should the winner finish between that insert and the
   * read, the loop tries again.
   */
  async begin(record: SyncRecord, staleBefore: Date): Promise<{ started: true } | { started: false; running: SyncRecord }> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await inTransaction(this.db, async (trx) => {
        await trx
          .updateTable('syncs')
          .set({ status: 'failed', finished_at: record.startedAt, error: ABANDONED })
          .where('space_id', '=', record.spaceId)
          .where('connector_id', '=', record.connectorId)
          .where('status', '=', 'running')
          .where('heartbeat_at', '<', staleBefore)
          .execute();
        const inserted = await trx
          .insertInto('syncs')
          .values({
            id: record.id,
            space_id: record.spaceId,
            connector_id: record.connectorId,
            status: record.status,
            triggered_by: record.triggeredBy,
            started_at: record.startedAt,
            heartbeat_at: record.heartbeatAt,
            finished_at: record.finishedAt,
            pipelines: record.counts.pipelines,
            removed_pipelines: record.counts.removedPipelines,
            runs: record.counts.runs,
            task_runs: record.counts.taskRuns,
            error: record.error,
          })
          // Only the one-running-sync index may turn the insert into nothing; a reused id still fails.
          .onConflict((oc) => oc.column('connector_id').where(sql<boolean>`status = 'running'`).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) return { started: true as const };
        const running = await trx
          .selectFrom('syncs')
          .selectAll()
          .where('space_id', '=', record.spaceId)
          .where('connector_id', '=', record.connectorId)
          .where('status', '=', 'running')
          .executeTakeFirst();
        return running && { started: false as const, running: toSync(running) };
      });
      if (outcome) return outcome;
      if (attempt >= 10) throw new Error(`could not begin a sync of connector ${record.connectorId}: it kept finishing and starting`);
    }
  }

  async heartbeat(spaceId: Id, id: Id, at: Date, counts: SyncRecord['counts']) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const result = await this.db
      .updateTable('syncs')
      .set({ heartbeat_at: at, pipelines: counts.pipelines, removed_pipelines: counts.removedPipelines, runs: counts.runs, task_runs: counts.taskRuns })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Only a sync that still runs may record its end: one taken over as abandoned keeps that verdict. */
  async finish(r: SyncRecord) {
    if (!isUuid(r.spaceId) || !isUuid(r.id)) return false;
    const result = await this.db
      .updateTable('syncs')
      .set({
        status: r.status,
        heartbeat_at: r.heartbeatAt,
        finished_at: r.finishedAt,
        pipelines: r.counts.pipelines,
        removed_pipelines: r.counts.removedPipelines,
        runs: r.counts.runs,
        task_runs: r.counts.taskRuns,
        error: r.error,
      })
      .where('space_id', '=', r.spaceId)
      .where('id', '=', r.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async get(spaceId: Id, connectorId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(connectorId) || !isUuid(id)) return undefined;
    const row = await this.db
      .selectFrom('syncs')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('connector_id', '=', connectorId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSync(row);
  }

  async list(spaceId: Id, connectorId: Id, page: PageRequest): Promise<Paged<SyncRecord>> {
    if (!isUuid(spaceId) || !isUuid(connectorId)) return { items: [], total: 0 };
    const filtered = this.db.selectFrom('syncs').where('space_id', '=', spaceId).where('connector_id', '=', connectorId);
    const { limit, offset } = limitOffset(page);
    const [rows, count] = await Promise.all([
      filtered.selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toSync), total: toCount(count.n) };
  }
}
