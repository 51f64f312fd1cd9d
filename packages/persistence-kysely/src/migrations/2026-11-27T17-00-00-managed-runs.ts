import { type Kysely, sql } from 'kysely';

/*
 * Managed runs: runs of managed pipelines, executed by an engine rather than found by a sync, in
 * the same table as synced runs so that lists, summaries, task runs and comments serve both.
 * - `runs.origin` is 'synced' for every row that exists (the default fills them), or 'managed'.
 * - A managed run on the embedded engine has no connector: `connector_id` becomes nullable, and a
 *   CHECK keeps it set for synced runs, as before. The same CHECK sets the managed fields (version,
 *   options, progress, engine) exactly for managed rows.
 * - A run names the version it executes by a composite key of its own space, in the style of the
 *   space-bound references; it goes with the version (which goes with its pipeline).
 * - bigint counters (rows, milliseconds) are read back as text by pg and converted by the
 *   repositories.
 * - The partial index serves `startManaged`: a pipeline's queued and running managed runs, which
 *   are few, found without touching its finished ones.
 * - Task runs gain a managed step's rows, error and dry-run plan; pipelines their incremental
 *   state (step name → cursor text).
 */
const UP = [
  `ALTER TABLE runs
    ADD COLUMN origin text NOT NULL DEFAULT 'synced' CHECK (origin IN ('synced', 'managed')),
    ADD COLUMN pipeline_version_id uuid,
    ADD COLUMN options jsonb,
    ADD COLUMN progress jsonb,
    ADD COLUMN rows_loaded bigint CHECK (rows_loaded >= 0),
    ADD COLUMN duration_ms bigint CHECK (duration_ms >= 0),
    ADD COLUMN engine jsonb,
    ADD COLUMN error jsonb,
    ADD COLUMN cancel_requested_at timestamptz`,
  `ALTER TABLE runs ALTER COLUMN connector_id DROP NOT NULL`,
  `ALTER TABLE runs ADD CONSTRAINT runs_origin_fields_check CHECK (
    (origin = 'synced' AND connector_id IS NOT NULL AND pipeline_version_id IS NULL AND options IS NULL AND progress IS NULL
       AND engine IS NULL)
    OR (origin = 'managed' AND pipeline_version_id IS NOT NULL AND options IS NOT NULL AND progress IS NOT NULL AND engine IS NOT NULL))`,
  `ALTER TABLE runs ADD CONSTRAINT runs_space_pipeline_version_id_fkey
    FOREIGN KEY (space_id, pipeline_version_id) REFERENCES pipeline_versions (space_id, id) ON DELETE CASCADE`,
  `CREATE INDEX runs_managed_active_idx ON runs (pipeline_id, status, created_at, id)
    WHERE origin = 'managed' AND status IN ('queued', 'running')`,
  `ALTER TABLE task_runs
    ADD COLUMN rows bigint CHECK (rows >= 0),
    ADD COLUMN error text,
    ADD COLUMN plan jsonb`,
  `ALTER TABLE pipelines ADD COLUMN incremental_state jsonb NOT NULL DEFAULT '{}'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

/** Managed runs cannot be kept by the older schema (no connector, no version): they go, with their steps and comments. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DELETE FROM runs WHERE origin = 'managed'`).execute(db);
  await sql.raw(`ALTER TABLE pipelines DROP COLUMN incremental_state`).execute(db);
  await sql.raw(`ALTER TABLE task_runs DROP COLUMN rows, DROP COLUMN error, DROP COLUMN plan`).execute(db);
  await sql.raw(`DROP INDEX runs_managed_active_idx`).execute(db);
  await sql.raw(`ALTER TABLE runs DROP CONSTRAINT runs_space_pipeline_version_id_fkey`).execute(db);
  await sql.raw(`ALTER TABLE runs DROP CONSTRAINT runs_origin_fields_check`).execute(db);
  await sql.raw(`ALTER TABLE runs ALTER COLUMN connector_id SET NOT NULL`).execute(db);
  await sql
    .raw(
      `ALTER TABLE runs DROP COLUMN origin, DROP COLUMN pipeline_version_id, DROP COLUMN options, DROP COLUMN progress,
        DROP COLUMN rows_loaded, DROP COLUMN duration_ms, DROP COLUMN engine, DROP COLUMN error, DROP COLUMN cancel_requested_at`,
    )
    .execute(db);
}
