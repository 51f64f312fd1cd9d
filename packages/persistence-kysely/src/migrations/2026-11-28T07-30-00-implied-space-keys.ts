import { type Kysely, sql } from 'kysely';

/*
 * Runs and task runs lose their plain key to `spaces`: each already has a composite key to a row
 * of its own space ((space_id, pipeline_id) → pipelines, (space_id, run_id) → runs), and that row's
 * own key leads to the space, so the plain key says nothing the composite one does not, and a
 * space's deletion still reaches them (spaces → pipelines → runs → task runs, all cascading).
 * What it cost: one more foreign-key check per row written, a sixth of a first sync's writes
 * (docs/airflow.md, Benchmark).
 */
const KEYS = [
  ['runs', 'runs_space_id_fkey'],
  ['task_runs', 'task_runs_space_id_fkey'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, key] of KEYS) await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${key}`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, key] of KEYS) {
    await sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${key} FOREIGN KEY (space_id) REFERENCES spaces (id) ON DELETE CASCADE`).execute(db);
  }
}
