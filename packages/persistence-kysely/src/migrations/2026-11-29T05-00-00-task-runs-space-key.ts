import { type Kysely, sql } from 'kysely';

/*
 * Task runs are keyed by (space_id, id) alone. Every read of one names its space, and the
 * comments' key to it is that pair, so the key on id alone was a second index on the same ids,
 * written with every task run: the most numerous rows a sync writes (about five a run). The pair
 * becomes the primary key; the comments' key is made again to point at it.
 */
const STEPS_UP = [
  'ALTER TABLE comments DROP CONSTRAINT comments_space_task_run_id_fkey',
  'ALTER TABLE task_runs DROP CONSTRAINT task_runs_space_id_id_key',
  'ALTER TABLE task_runs DROP CONSTRAINT task_runs_pkey',
  'ALTER TABLE task_runs ADD CONSTRAINT task_runs_pkey PRIMARY KEY (space_id, id)',
  'ALTER TABLE comments ADD CONSTRAINT comments_space_task_run_id_fkey FOREIGN KEY (space_id, task_run_id) REFERENCES task_runs (space_id, id) ON DELETE CASCADE',
];

const STEPS_DOWN = [
  'ALTER TABLE comments DROP CONSTRAINT comments_space_task_run_id_fkey',
  'ALTER TABLE task_runs DROP CONSTRAINT task_runs_pkey',
  'ALTER TABLE task_runs ADD CONSTRAINT task_runs_pkey PRIMARY KEY (id)',
  'ALTER TABLE task_runs ADD CONSTRAINT task_runs_space_id_id_key UNIQUE (space_id, id)',
  'ALTER TABLE comments ADD CONSTRAINT comments_space_task_run_id_fkey FOREIGN KEY (space_id, task_run_id) REFERENCES task_runs (space_id, id) ON DELETE CASCADE',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const step of STEPS_UP) await sql.raw(step).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const step of STEPS_DOWN) await sql.raw(step).execute(db);
}
