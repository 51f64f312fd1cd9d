import { type Kysely, sql } from 'kysely';

/*
 * Cross-space references become impossible in the schema itself, not only in the queries: every
 * reference from one space-scoped row to another carries the space id, and a composite foreign key
 * (space_id, x_id) → x (space_id, id) replaces the plain one, so a row can only name a row of its
 * own space. The referenced tables get a unique key on (space_id, id) for those keys to point at.
 *
 * Every row is kept: the rows the application wrote are consistent already, and the new keys are
 * checked against them as they are added (a row of another space would make the migration fail
 * rather than be dropped). The delete behaviour stays: a deleted team clears `team_id` only, which
 * needs the column list of `ON DELETE SET NULL (team_id)` (PostgreSQL 15 and later, PGlite too);
 * a plain SET NULL would also null `space_id`.
 *
 * runs.connector_id had no key at all; it gets one to the connector of the same space.
 */

/** Tables referenced by another space-scoped table: (space_id, id) becomes a key of each. */
const REFERENCED = ['teams', 'connectors', 'pipelines', 'runs', 'task_runs'];

/** [table, column, referenced table, on delete, the plain key it replaces (or null)]. */
const REFERENCES: [string, string, string, string, string | null][] = [
  ['pipelines', 'connector_id', 'connectors', 'CASCADE', 'pipelines_connector_id_fkey'],
  ['pipelines', 'team_id', 'teams', 'SET NULL (team_id)', 'pipelines_team_id_fkey'],
  ['watches', 'pipeline_id', 'pipelines', 'CASCADE', 'watches_pipeline_id_fkey'],
  ['runs', 'pipeline_id', 'pipelines', 'CASCADE', 'runs_pipeline_id_fkey'],
  ['runs', 'connector_id', 'connectors', 'CASCADE', null],
  ['task_runs', 'run_id', 'runs', 'CASCADE', 'task_runs_run_id_fkey'],
  ['comments', 'run_id', 'runs', 'CASCADE', 'comments_run_id_fkey'],
  ['comments', 'task_run_id', 'task_runs', 'CASCADE', 'comments_task_run_id_fkey'],
  ['syncs', 'connector_id', 'connectors', 'CASCADE', 'syncs_connector_id_fkey'],
];

const spaceKey = (table: string) => `${table}_space_id_id_key`;
const spaceRef = (table: string, column: string) => `${table}_space_${column}_fkey`;

// Statements run one at a time: PGlite's extended protocol takes a single statement per query.
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of REFERENCED) {
    await sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${spaceKey(table)} UNIQUE (space_id, id)`).execute(db);
  }
  for (const [table, column, target, onDelete, plain] of REFERENCES) {
    await sql
      .raw(
        `ALTER TABLE ${table} ADD CONSTRAINT ${spaceRef(table, column)}
          FOREIGN KEY (space_id, ${column}) REFERENCES ${target} (space_id, id) ON DELETE ${onDelete}`,
      )
      .execute(db);
    if (plain) await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${plain}`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column, target, onDelete, plain] of REFERENCES) {
    if (plain) {
      const action = onDelete.startsWith('SET NULL') ? 'SET NULL' : onDelete;
      await sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${plain} FOREIGN KEY (${column}) REFERENCES ${target} (id) ON DELETE ${action}`).execute(db);
    }
    await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${spaceRef(table, column)}`).execute(db);
  }
  for (const table of REFERENCED) await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${spaceKey(table)}`).execute(db);
}
