import {
  type Connector,
  durationOf,
  type Id,
  type IdGenerator,
  type ManagedRun,
  type ManagedRunPatch,
  notFound,
  type Paged,
  type PageRequest,
  type PipelineOrigin,
  type ProviderRun,
  type Run,
  type RunFilter,
  type RunRepository,
  type RunStatus,
  type RunType,
} from '@signalbox/core';
import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { RunsTable, Schema } from './schema';
import { epochMs, fromEpochMs, inTransaction, isUuid, keyOf, latestByKey, limitOffset, mustDate, toCount, toDate, toInt } from './sql-support';

export const toRun = (r: Selectable<RunsTable>): Run => ({
  id: r.id,
  spaceId: r.space_id,
  connectorId: r.connector_id,
  pipelineId: r.pipeline_id,
  origin: r.origin as PipelineOrigin,
  managed: toManaged(r),
  externalId: r.external_id,
  status: r.status as RunStatus,
  nativeStatus: r.native_status,
  runType: r.run_type as RunType,
  logicalDate: toDate(r.logical_date),
  queuedAt: toDate(r.queued_at),
  startedAt: toDate(r.started_at),
  finishedAt: toDate(r.finished_at),
  durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
  conf: r.conf ?? null,
  note: r.note,
  triggeredBy: r.triggered_by,
  runAt: mustDate(r.run_at),
  createdAt: mustDate(r.created_at),
  updatedAt: mustDate(r.updated_at),
});

/** A managed row's fields; the schema's CHECK sets them exactly for managed rows. */
function toManaged(r: Selectable<RunsTable>): ManagedRun | null {
  if (r.origin !== 'managed' || r.pipeline_version_id === null || !r.options || !r.progress || !r.engine) return null;
  return {
    pipelineVersionId: r.pipeline_version_id,
    options: r.options,
    progress: r.progress,
    rowsLoaded: toInt(r.rows_loaded),
    durationMs: toInt(r.duration_ms),
    engine: r.engine,
    error: r.error ?? null,
    cancelRequestedAt: toDate(r.cancel_requested_at),
  };
}

/** The managed columns of a run as written (all null for a synced one). */
const managedColumns = (m: ManagedRun | null) => ({
  pipeline_version_id: m?.pipelineVersionId ?? null,
  options: m ? JSON.stringify(m.options) : null,
  progress: m ? JSON.stringify(m.progress) : null,
  rows_loaded: m?.rowsLoaded ?? null,
  duration_ms: m?.durationMs ?? null,
  engine: m ? JSON.stringify(m.engine) : null,
  error: m?.error ? JSON.stringify(m.error) : null,
  cancel_requested_at: m?.cancelRequestedAt ?? null,
});

/** The columns of a ManagedRunPatch that are given: an absent field is left out, so its column stays. */
function patchColumns(p: ManagedRunPatch): Updateable<RunsTable> {
  const json = (v: unknown) => (v === undefined ? undefined : v === null ? null : JSON.stringify(v));
  const columns: Updateable<RunsTable> = {
    status: p.status,
    native_status: p.nativeStatus,
    started_at: p.startedAt,
    finished_at: p.finishedAt,
    duration_seconds: p.durationSeconds,
    progress: json(p.progress),
    rows_loaded: p.rowsLoaded,
    duration_ms: p.durationMs,
    engine: json(p.engine),
    error: json(p.error),
  };
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
}

/** A managed run that is not a dry run: only those count against `max_active_runs` and queue. */
const NOT_DRY = sql<boolean>`(options->>'dry_run') IS DISTINCT FROM 'true'`;

export class KyselyRunRepository implements RunRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.db.selectFrom('runs').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async getByExternalId(spaceId: Id, connectorId: Id, pipelineExternalId: string, externalId: string) {
    if (!isUuid(spaceId) || !isUuid(connectorId)) return undefined;
    const row = await this.db
      .selectFrom('runs as r')
      .innerJoin('pipelines as p', 'p.id', 'r.pipeline_id')
      .selectAll('r')
      .where('p.space_id', '=', spaceId)
      .where('r.space_id', '=', spaceId)
      .where('p.connector_id', '=', connectorId)
      .where('p.external_id', '=', pipelineExternalId)
      .where('r.external_id', '=', externalId)
      .executeTakeFirst();
    return row && toRun(row);
  }

  async listForPipeline(spaceId: Id, pipelineId: Id, f: RunFilter, page: PageRequest): Promise<Paged<Run>> {
    if (!isUuid(spaceId) || !isUuid(pipelineId)) return { items: [], total: 0 };
    const filtered = this.db
      .selectFrom('runs')
      .where('space_id', '=', spaceId)
      .where('pipeline_id', '=', pipelineId)
      .$if(!!f.status?.length, (q) => q.where('status', 'in', f.status!))
      .$if(!!f.runType?.length, (q) => q.where('run_type', 'in', f.runType!))
      .$if(f.versionId !== undefined, (q) => (isUuid(f.versionId!) ? q.where('pipeline_version_id', '=', f.versionId!) : q.where(sql<boolean>`false`)))
      .$if(f.startedFrom !== undefined, (q) => q.where('started_at', '>=', f.startedFrom!))
      .$if(f.startedTo !== undefined, (q) => q.where('started_at', '<=', f.startedTo!));
    const { limit, offset } = limitOffset(page);
    const [rows, count] = await Promise.all([
      filtered.selectAll().orderBy('run_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toRun), total: toCount(count.n) };
  }

  async latest(spaceId: Id, pipelineId: Id) {
    if (!isUuid(spaceId) || !isUuid(pipelineId)) return undefined;
    const row = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('pipeline_id', '=', pipelineId)
      .orderBy('run_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRun(row);
  }

  /**
   * One INSERT … SELECT … ON CONFLICT for the batch. The pipeline is resolved in SQL from
   * (connector, pipeline external id) by a join, so runs of unknown pipelines drop out. On update,
   * `triggered_by` and `created_at` stay, and a run time that falls back to "first seen" keeps
   * the stored first-seen time.
   */
  async upsertFromProvider(connector: Connector, runs: ProviderRun[], seenAt: Date) {
    if (runs.length === 0 || !isUuid(connector.id) || !isUuid(connector.spaceId)) return 0;
    const key = (r: { pipelineExternalId: string; externalId: string }) => keyOf(r.pipelineExternalId, r.externalId);
    const batch = latestByKey(runs, key);
    const rows = batch.map((r) => ({
      id: this.ids.id(),
      pipeline_external_id: r.pipelineExternalId,
      external_id: r.externalId,
      status: r.status,
      native_status: r.nativeStatus,
      run_type: r.runType,
      logical_date: epochMs(r.logicalDate),
      queued_at: epochMs(r.queuedAt),
      started_at: epochMs(r.startedAt),
      finished_at: epochMs(r.finishedAt),
      duration_seconds: durationOf(r),
      conf: r.conf,
      note: r.note,
    }));
    // Each row's pipeline is found by a probe of the unique (connector, external id) index,
    // whatever the planner thinks of the tables (see the task runs' upsert). Rows go in in key
    // order, so concurrent upserts lock in one order. Every source row that found its pipeline is
    // inserted or updated; the statement answers the others.
    const skipped = await sql<{ pipeline_external_id: string; external_id: string }>`
      WITH src AS (
        SELECT x.id, x.pipeline_external_id, x.external_id, x.status, x.native_status, x.run_type,
          ${fromEpochMs('x.logical_date')} AS logical_date, ${fromEpochMs('x.queued_at')} AS queued_at,
          ${fromEpochMs('x.started_at')} AS started_at, ${fromEpochMs('x.finished_at')} AS finished_at,
          x.duration_seconds, x.conf, x.note,
          (SELECT CASE WHEN p.space_id = ${connector.spaceId}::uuid THEN p.id END FROM pipelines p
           WHERE p.connector_id = ${connector.id}::uuid AND p.external_id = x.pipeline_external_id) AS pipeline_id
        FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, pipeline_external_id text, external_id text,
               status text, native_status text, run_type text, logical_date bigint, queued_at bigint,
               started_at bigint, finished_at bigint, duration_seconds double precision, conf jsonb, note text)
      ), upserted AS (
        INSERT INTO runs AS t (id, space_id, connector_id, pipeline_id, external_id, status, native_status, run_type, logical_date,
                          queued_at, started_at, finished_at, duration_seconds, conf, note, triggered_by, run_at, created_at, updated_at)
        SELECT s.id, ${connector.spaceId}::uuid, ${connector.id}::uuid, s.pipeline_id, s.external_id, s.status, s.native_status, s.run_type,
               s.logical_date, s.queued_at, s.started_at, s.finished_at, s.duration_seconds, s.conf, s.note, NULL,
               coalesce(s.started_at, s.queued_at, s.logical_date, ${seenAt}::timestamptz), ${seenAt}::timestamptz, ${seenAt}::timestamptz
        FROM src s WHERE s.pipeline_id IS NOT NULL
        ORDER BY s.pipeline_id, s.external_id
        ON CONFLICT (pipeline_id, external_id) DO UPDATE SET
          status = excluded.status, native_status = excluded.native_status, run_type = excluded.run_type,
          logical_date = excluded.logical_date, queued_at = excluded.queued_at, started_at = excluded.started_at,
          finished_at = excluded.finished_at, duration_seconds = excluded.duration_seconds, conf = excluded.conf,
          note = excluded.note, run_at = coalesce(excluded.started_at, excluded.queued_at, excluded.logical_date, t.created_at),
          updated_at = excluded.updated_at
      )
      SELECT s.pipeline_external_id, s.external_id FROM src s WHERE s.pipeline_id IS NULL`.execute(this.db);
    if (skipped.rows.length === 0) return runs.length;
    const keys = new Set(skipped.rows.map((w) => key({ pipelineExternalId: w.pipeline_external_id, externalId: w.external_id })));
    return runs.filter((r) => !keys.has(key(r))).length;
  }

  async requestHash(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return null;
    const row = await this.db.selectFrom('runs').select('request_hash').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row?.request_hash ?? null;
  }

  async insertTriggered(run: Run, requestHash: string | null, opts: { noteLastRun?: boolean } = {}) {
    if (!isUuid(run.spaceId) || !isUuid(run.pipelineId)) throw notFound('pipeline', run.pipelineId);
    // One statement: the run, and with noteLastRun its pipeline's last run (as noteLastRun does),
    // so that a trigger needs no transaction of its own. An absent pipeline is the key's violation.
    const inserted = await this.db
      .with('ins', (db) =>
        db
          .insertInto('runs')
          .values({
            id: run.id,
            space_id: run.spaceId,
            connector_id: run.connectorId,
            pipeline_id: run.pipelineId,
            external_id: run.externalId,
            status: run.status,
            native_status: run.nativeStatus,
            run_type: run.runType,
            logical_date: run.logicalDate,
            queued_at: run.queuedAt,
            started_at: run.startedAt,
            finished_at: run.finishedAt,
            duration_seconds: run.durationSeconds,
            conf: run.conf === null ? null : JSON.stringify(run.conf),
            note: run.note,
            triggered_by: run.triggeredBy,
            request_hash: requestHash,
            origin: run.origin,
            ...managedColumns(run.managed),
            run_at: run.runAt,
            created_at: run.createdAt,
            updated_at: run.updatedAt,
          })
          .onConflict((oc) => oc.columns(['pipeline_id', 'external_id']).doNothing())
          .returningAll(),
      )
      .with('noted', (db) =>
        db
          .updateTable('pipelines as p')
          .from('ins')
          .set({ last_run_status: sql`ins.status`, last_run_at: sql`ins.run_at` })
          .where(sql<boolean>`${opts.noteLastRun === true}::boolean`)
          .whereRef('p.space_id', '=', 'ins.space_id')
          .whereRef('p.id', '=', 'ins.pipeline_id')
          .where((eb) => eb.or([eb('p.last_run_at', 'is', null), eb('p.last_run_at', '<=', eb.ref('ins.run_at'))]))
          .returning('p.id'),
      )
      .selectFrom('ins')
      .selectAll()
      .executeTakeFirst()
      .catch((err: unknown) => {
        // What the run names is not in its space (or not at all): which key said so names what.
        const { code, constraint } = err as { code?: string; constraint?: string };
        const absent: Record<string, [string, string | null]> = {
          runs_space_pipeline_id_fkey: ['pipeline', run.pipelineId],
          runs_space_connector_id_fkey: ['connector', run.connectorId],
          runs_space_pipeline_version_id_fkey: ['version', run.managed?.pipelineVersionId ?? null],
        };
        const [what, id] = (code === '23503' && constraint && absent[constraint]) || [];
        if (what) throw notFound(what, id ?? '');
        throw err;
      });
    if (inserted) return toRun(inserted);
    if (requestHash !== null) {
      // The request that created the run may store after one that only found it (and knew no body).
      await this.db
        .updateTable('runs')
        .set({ request_hash: requestHash })
        .where('space_id', '=', run.spaceId)
        .where('pipeline_id', '=', run.pipelineId)
        .where('external_id', '=', run.externalId)
        .where('request_hash', 'is', null)
        .execute();
    }
    const stored = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('space_id', '=', run.spaceId)
      .where('pipeline_id', '=', run.pipelineId)
      .where('external_id', '=', run.externalId)
      .executeTakeFirst();
    // Nothing inserted and nothing in the run's space: the key belongs to a pipeline of another one.
    if (!stored) throw notFound('pipeline', run.pipelineId);
    return toRun(stored);
  }

  /** One UPDATE whose WHERE is the guard: a finished run, or a synced one, matches nothing. */
  async updateManaged(spaceId: Id, id: Id, patch: ManagedRunPatch, at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('runs')
      .set({
        ...patchColumns(patch),
        // The run time follows the start, as a sync's does (runAtOf: started, else queued, else logical, else first seen).
        ...(patch.startedAt === undefined ? {} : { run_at: sql<Date>`coalesce(${patch.startedAt}::timestamptz, queued_at, logical_date, created_at)` }),
        updated_at: at,
      })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where('origin', '=', 'managed')
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * In one transaction (the unit of work's, inside one). A run that is not a dry run first locks
   * its pipeline's row (FOR NO KEY UPDATE: other starts of the pipeline wait, inserts of its runs
   * do not), then counts under that lock, in statements that see every start committed before it:
   * so of concurrent starts, whichever process makes them, each sees the ones before. Queue order
   * is the order runs were stored in (created_at, then id).
   */
  async startManaged(spaceId: Id, id: Id, maxActiveRuns: number, at: Date): Promise<'started' | 'busy' | 'not_queued'> {
    if (!isUuid(spaceId) || !isUuid(id)) return 'not_queued';
    return inTransaction(this.db, async (trx) => {
      const run = await trx
        .selectFrom('runs')
        .select(['pipeline_id', 'status', NOT_DRY.as('counts')])
        .where('space_id', '=', spaceId)
        .where('id', '=', id)
        .where('origin', '=', 'managed')
        .executeTakeFirst();
      if (run?.status !== 'queued') return 'not_queued';
      if (run.counts) {
        await trx.selectFrom('pipelines').select('id').where('space_id', '=', spaceId).where('id', '=', run.pipeline_id).forNoKeyUpdate().execute();
        const { rows } = await sql<{ busy: boolean }>`
          SELECT (SELECT count(*) FROM runs
                   WHERE space_id = ${spaceId}::uuid AND pipeline_id = ${run.pipeline_id}::uuid AND origin = 'managed'
                     AND status = 'running' AND ${NOT_DRY}) >= ${maxActiveRuns}
              OR EXISTS (SELECT 1 FROM runs me JOIN runs o ON o.space_id = me.space_id AND o.pipeline_id = me.pipeline_id
                   WHERE me.space_id = ${spaceId}::uuid AND me.id = ${id}::uuid AND o.origin = 'managed' AND o.status = 'queued'
                     AND (o.options->>'dry_run') IS DISTINCT FROM 'true' AND (o.created_at, o.id) < (me.created_at, me.id)) AS busy`.execute(trx);
        if (rows[0].busy) return 'busy';
      }
      const started = await trx
        .updateTable('runs')
        .set({
          status: 'running',
          started_at: sql<Date>`coalesce(started_at, ${at}::timestamptz)`,
          run_at: sql<Date>`coalesce(started_at, ${at}::timestamptz)`,
          updated_at: at,
        })
        .where('space_id', '=', spaceId)
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return Number(started.numUpdatedRows) > 0 ? 'started' : 'not_queued';
    });
  }

  /**
   * One UPDATE decides from the row as it is when locked, so a cancel and a start of one queued
   * run cannot both take effect: a queued run is canceled, a running one marked (the first request's
   * time is kept). Anything else, or a synced run, is read back as it is.
   */
  async requestCancel(spaceId: Id, id: Id, at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const changed = await this.db
      .updateTable('runs')
      .set({
        status: sql<string>`CASE WHEN status = 'queued' THEN 'canceled' ELSE status END`,
        finished_at: sql<Date>`CASE WHEN status = 'queued' THEN ${at}::timestamptz ELSE finished_at END`,
        cancel_requested_at: sql<Date>`CASE WHEN status = 'running' THEN ${at}::timestamptz ELSE cancel_requested_at END`,
        updated_at: at,
      })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where('origin', '=', 'managed')
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('cancel_requested_at', 'is', null)])]))
      .returningAll()
      .executeTakeFirst();
    return changed ? toRun(changed) : this.get(spaceId, id);
  }

  async orphanedManaged(jobKeyPrefix: string, limit: number) {
    const rows = await this.db
      .selectFrom('runs as r')
      .selectAll('r')
      .where('r.origin', '=', 'managed')
      .where('r.status', 'in', ['queued', 'running'])
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('jobs as j').select(sql`1`.as('one')).whereRef('j.key', '=', sql<string>`${jobKeyPrefix} || r.id::text`))),
      )
      .orderBy('r.created_at')
      .orderBy('r.id')
      .limit(limit)
      .execute();
    return rows.map(toRun);
  }
}
