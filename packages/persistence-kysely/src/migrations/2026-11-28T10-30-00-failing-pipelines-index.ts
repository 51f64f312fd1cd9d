import { type Kysely, sql } from 'kysely';

/*
 * `status=error` lists the live pipelines whose last run failed and that are not paused: usually
 * a few of the space, so the list order index found them by reading (and the total by counting)
 * every live pipeline of the space, and an empty answer cost two scans. This partial index holds
 * only those pipelines, in list order; it is small, and written only when a pipeline starts or
 * stops failing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`CREATE INDEX pipelines_failing_order_idx ON pipelines (space_id, name, id) WHERE removed_at IS NULL AND last_run_status = 'failed' AND NOT paused`)
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX pipelines_failing_order_idx`).execute(db);
}
