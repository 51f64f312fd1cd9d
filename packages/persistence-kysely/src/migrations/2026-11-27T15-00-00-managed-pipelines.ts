import { type Kysely, sql } from 'kysely';

/*
 * Managed pipelines: defined in Signalbox rather than found by a sync, in the same table as the
 * synced ones so that lists, teams, watches, runs and comments serve both.
 * - `pipelines.origin` is 'synced' for every row that exists (the default fills them), or 'managed'.
 * - A managed pipeline on the embedded engine has no connector: `connector_id` becomes nullable,
 *   and a CHECK keeps it set for synced pipelines, as before.
 * - Managed fields (engine, warehouse, max_active_runs, timeout_seconds, the current version) are
 *   set exactly for managed rows (the same CHECK).
 * - The name of a managed pipeline is its external id, unique among the space's managed
 *   pipelines (a partial unique index); synced ones stay unique per (connector, external id).
 * - `pipeline_versions` holds the immutable versions; a pipeline's rows cascade with it. The
 *   pipeline names its current version by a deferred key: both rows are written in one
 *   transaction, the pipeline first.
 */
const UP = [
  `CREATE TABLE pipeline_versions (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    pipeline_id uuid NOT NULL,
    number integer NOT NULL CHECK (number >= 1),
    version text,
    spec_hash text NOT NULL,
    source text NOT NULL,
    format text NOT NULL CHECK (format IN ('json', 'yaml')),
    spec jsonb NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL,
    message text,
    CONSTRAINT pipeline_versions_number_key UNIQUE (pipeline_id, number),
    CONSTRAINT pipeline_versions_space_id_id_key UNIQUE (space_id, id),
    CONSTRAINT pipeline_versions_space_pipeline_id_fkey FOREIGN KEY (space_id, pipeline_id)
      REFERENCES pipelines (space_id, id) ON DELETE CASCADE
  )`,
  `ALTER TABLE pipelines
    ADD COLUMN origin text NOT NULL DEFAULT 'synced' CHECK (origin IN ('synced', 'managed')),
    ADD COLUMN engine text,
    ADD COLUMN warehouse text,
    ADD COLUMN max_active_runs integer CHECK (max_active_runs >= 1),
    ADD COLUMN timeout_seconds integer CHECK (timeout_seconds >= 1),
    ADD COLUMN current_version_id uuid,
    ADD COLUMN current_version_number integer`,
  `ALTER TABLE pipelines ALTER COLUMN connector_id DROP NOT NULL`,
  `ALTER TABLE pipelines ADD CONSTRAINT pipelines_origin_fields_check CHECK (
    (origin = 'synced' AND connector_id IS NOT NULL AND engine IS NULL AND current_version_id IS NULL)
    OR (origin = 'managed' AND provider = 'managed' AND engine IS NOT NULL AND max_active_runs IS NOT NULL
        AND current_version_id IS NOT NULL AND current_version_number IS NOT NULL))`,
  `ALTER TABLE pipelines ADD CONSTRAINT pipelines_space_current_version_id_fkey
    FOREIGN KEY (space_id, current_version_id) REFERENCES pipeline_versions (space_id, id) DEFERRABLE INITIALLY DEFERRED`,
  `CREATE UNIQUE INDEX pipelines_managed_name_key ON pipelines (space_id, external_id) WHERE origin = 'managed'`,
  // The scheduler's poll: managed pipelines that are due, across spaces.
  `CREATE INDEX pipelines_managed_due_idx ON pipelines (next_run_at) WHERE origin = 'managed' AND NOT paused AND next_run_at IS NOT NULL`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

/** Managed pipelines cannot be kept by the older schema: they go, with their versions. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DELETE FROM pipelines WHERE origin = 'managed'`).execute(db);
  await sql.raw(`DROP INDEX pipelines_managed_due_idx`).execute(db);
  await sql.raw(`DROP INDEX pipelines_managed_name_key`).execute(db);
  await sql.raw(`ALTER TABLE pipelines DROP CONSTRAINT pipelines_space_current_version_id_fkey`).execute(db);
  await sql.raw(`ALTER TABLE pipelines DROP CONSTRAINT pipelines_origin_fields_check`).execute(db);
  await sql.raw(`ALTER TABLE pipelines ALTER COLUMN connector_id SET NOT NULL`).execute(db);
  await sql.raw(`DROP TABLE pipeline_versions`).execute(db);
  await sql
    .raw(
      `ALTER TABLE pipelines DROP COLUMN origin, DROP COLUMN engine, DROP COLUMN warehouse, DROP COLUMN max_active_runs,
        DROP COLUMN timeout_seconds, DROP COLUMN current_version_id, DROP COLUMN current_version_number`,
    )
    .execute(db);
}
