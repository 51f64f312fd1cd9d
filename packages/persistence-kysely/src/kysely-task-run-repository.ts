import {
  type Connector,
  durationOf,
  type Id,
  type IdGenerator,
  type ProviderTaskRun,
  type TaskRun,
  type TaskRunRepository,
  type TaskRunStatus,
  taskRunExternalId,
} from '@signalbox/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema, TaskRunsTable } from './schema';
import { epochMs, fromEpochMs, isUuid, keyOf, latestByKey, mustDate, toDate, toInt } from './sql-support';

const toTaskRun = (r: Selectable<TaskRunsTable>): TaskRun => ({
  id: r.id,
  spaceId: r.space_id,
  runId: r.run_id,
  externalId: r.external_id,
  taskId: r.task_id,
  mapIndex: r.map_index,
  status: r.status as TaskRunStatus,
  nativeStatus: r.native_status,
  tryNumber: r.try_number,
  startedAt: toDate(r.started_at),
  finishedAt: toDate(r.finished_at),
  durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
  operator: r.operator,
  rows: toInt(r.rows),
  error: r.error,
  plan: r.plan ? { plan: r.plan.plan, estimatedRows: r.plan.estimated_rows } : null,
  createdAt: mustDate(r.created_at),
  updatedAt: mustDate(r.updated_at),
});

export class KyselyTaskRunRepository implements TaskRunRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.db.selectFrom('task_runs').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row && toTaskRun(row);
  }

  async listForRun(spaceId: Id, runId: Id) {
    if (!isUuid(spaceId) || !isUuid(runId)) return [];
    const rows = await this.db
      .selectFrom('task_runs')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('run_id', '=', runId)
      .orderBy(sql`started_at ASC NULLS LAST`)
      .orderBy('task_id')
      .orderBy('map_index')
      .execute();
    return rows.map(toTaskRun);
  }

  /**
   * One INSERT … SELECT … ON CONFLICT for the batch; the run is resolved in SQL from (connector,
   * pipeline external id, run external id), so task runs of unknown runs drop out.
   */
  async upsertFromProvider(connector: Connector, taskRuns: ProviderTaskRun[], seenAt: Date) {
    if (taskRuns.length === 0 || !isUuid(connector.id) || !isUuid(connector.spaceId)) return 0;
    const key = (t: { pipelineExternalId: string; runExternalId: string; taskId: string; mapIndex: number }) =>
      keyOf(t.pipelineExternalId, t.runExternalId, t.taskId, t.mapIndex);
    const batch = latestByKey(taskRuns, key);
    const rows = batch.map((t) => ({
      id: this.ids.id(),
      pipeline_external_id: t.pipelineExternalId,
      run_external_id: t.runExternalId,
      external_id: taskRunExternalId(t.taskId, t.mapIndex),
      task_id: t.taskId,
      map_index: t.mapIndex,
      status: t.status,
      native_status: t.nativeStatus,
      try_number: t.tryNumber,
      started_at: epochMs(t.startedAt),
      finished_at: epochMs(t.finishedAt),
      duration_seconds: durationOf(t),
      operator: t.operator,
    }));
    // Each row's run is found by a probe of a unique index ((connector, external id) for the
    // pipeline, then (pipeline, external id) for the run), whatever the planner thinks of the
    // tables: a first sync fills them from empty, and a plan made then (prepared statements keep
    // theirs) must not scan what it took for small. So the lookups name only those keys' columns,
    // and the space is checked on the row found (a CASE no index can serve), not in the WHERE,
    // where it would offer the planner the (space, id) indexes, which scan a whole space. Rows go
    // in in key order, so concurrent upserts lock in one order. Every source row that found its
    // run is inserted or updated; the statement answers the others (normally none), so the count
    // costs no row sent back for each one written.
    const skipped = await sql<{ pipeline_external_id: string; run_external_id: string; task_id: string; map_index: number }>`
      WITH src AS (
        SELECT x.*,
          (SELECT CASE WHEN r.space_id = ${connector.spaceId}::uuid THEN r.id END FROM runs r
           WHERE r.pipeline_id = (SELECT CASE WHEN p.space_id = ${connector.spaceId}::uuid THEN p.id END FROM pipelines p
                                  WHERE p.connector_id = ${connector.id}::uuid AND p.external_id = x.pipeline_external_id)
             AND r.external_id = x.run_external_id) AS run_id
        FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, pipeline_external_id text, run_external_id text,
               external_id text, task_id text, map_index integer, status text, native_status text, try_number integer,
               started_at bigint, finished_at bigint, duration_seconds double precision, operator text)
      ), upserted AS (
        INSERT INTO task_runs AS t (id, space_id, run_id, external_id, task_id, map_index, status, native_status, try_number,
                                    started_at, finished_at, duration_seconds, operator, created_at, updated_at)
        SELECT s.id, ${connector.spaceId}::uuid, s.run_id, s.external_id, s.task_id, s.map_index, s.status, s.native_status, s.try_number,
               ${fromEpochMs('s.started_at')}, ${fromEpochMs('s.finished_at')}, s.duration_seconds, s.operator, ${seenAt}::timestamptz, ${seenAt}::timestamptz
        FROM src s WHERE s.run_id IS NOT NULL
        ORDER BY s.run_id, s.task_id, s.map_index
        ON CONFLICT (run_id, task_id, map_index) DO UPDATE SET
          external_id = excluded.external_id, status = excluded.status, native_status = excluded.native_status,
          try_number = excluded.try_number, started_at = excluded.started_at, finished_at = excluded.finished_at,
          duration_seconds = excluded.duration_seconds, operator = excluded.operator, updated_at = excluded.updated_at
      )
      SELECT s.pipeline_external_id, s.run_external_id, s.task_id, s.map_index FROM src s WHERE s.run_id IS NULL`.execute(this.db);
    if (skipped.rows.length === 0) return taskRuns.length;
    const keys = new Set(
      skipped.rows.map((w) => key({ pipelineExternalId: w.pipeline_external_id, runExternalId: w.run_external_id, taskId: w.task_id, mapIndex: w.map_index })),
    );
    return taskRuns.filter((t) => !keys.has(key(t))).length;
  }

  /**
   * One INSERT … SELECT … ON CONFLICT for the batch, one row per key (a later entry wins), in key
   * order. The run is joined in its space, so a step of a run that is absent there is not written.
   */
  async putSteps(taskRuns: TaskRun[]) {
    // A uuid in any case names one run: one key for it, as the conflict key has.
    const key = (t: TaskRun) => keyOf(t.runId.toLowerCase(), t.taskId, t.mapIndex);
    const batch = latestByKey(
      taskRuns.filter((t) => isUuid(t.spaceId) && isUuid(t.runId)),
      key,
    );
    if (batch.length === 0) return;
    const rows = batch.map((t) => ({
      id: t.id,
      space_id: t.spaceId,
      run_id: t.runId,
      external_id: t.externalId,
      task_id: t.taskId,
      map_index: t.mapIndex,
      status: t.status,
      native_status: t.nativeStatus,
      try_number: t.tryNumber,
      started_at: t.startedAt,
      finished_at: t.finishedAt,
      duration_seconds: t.durationSeconds,
      operator: t.operator,
      rows: t.rows,
      error: t.error,
      plan: t.plan && { plan: t.plan.plan, estimated_rows: t.plan.estimatedRows },
      created_at: t.createdAt,
      updated_at: t.updatedAt,
    }));
    await sql`
      INSERT INTO task_runs AS t (id, space_id, run_id, external_id, task_id, map_index, status, native_status, try_number,
                                  started_at, finished_at, duration_seconds, operator, rows, error, plan, created_at, updated_at)
      SELECT x.id, r.space_id, r.id, x.external_id, x.task_id, x.map_index, x.status, x.native_status, x.try_number,
             x.started_at, x.finished_at, x.duration_seconds, x.operator, x.rows, x.error, x.plan, x.created_at, x.updated_at
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, space_id uuid, run_id uuid, external_id text,
             task_id text, map_index integer, status text, native_status text, try_number integer, started_at timestamptz,
             finished_at timestamptz, duration_seconds double precision, operator text, rows bigint, error text, plan jsonb,
             created_at timestamptz, updated_at timestamptz)
      JOIN runs r ON r.space_id = x.space_id AND r.id = x.run_id AND r.status IN ('queued', 'running')
      ORDER BY r.id, x.task_id, x.map_index
      ON CONFLICT (run_id, task_id, map_index) DO UPDATE SET
        external_id = excluded.external_id, status = excluded.status, native_status = excluded.native_status,
        try_number = excluded.try_number, started_at = excluded.started_at, finished_at = excluded.finished_at,
        duration_seconds = excluded.duration_seconds, operator = excluded.operator, rows = excluded.rows, error = excluded.error,
        plan = excluded.plan, updated_at = excluded.updated_at`.execute(this.db);
  }
}
