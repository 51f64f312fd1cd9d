import { type Kysely, sql } from 'kysely';

/*
 * Background work and scheduled syncs.
 * - `jobs`: the queue every process claims from (FOR UPDATE SKIP LOCKED and a lease). A row lives
 *   while its job is queued or running; `key` is unique, so one thing is never queued twice.
 * - `connectors` get their sync schedule. Airflow connectors that exist take the product's default
 *   (every 300 s, the first one due at once), as a new one would; mock connectors stay manual.
 */
const UP = [
  `CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    key text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    run_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    lease_token text,
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    CONSTRAINT jobs_key_key UNIQUE (key)
  )`,
  `CREATE INDEX jobs_due_idx ON jobs (run_at, id)`,
  `ALTER TABLE connectors
    ADD COLUMN sync_interval_seconds integer CHECK (sync_interval_seconds >= 10),
    ADD COLUMN next_sync_at timestamptz,
    ADD COLUMN sync_failures integer NOT NULL DEFAULT 0`,
  `UPDATE connectors SET sync_interval_seconds = 300, next_sync_at = now() WHERE type = 'airflow'`,
  `CREATE INDEX connectors_next_sync_idx ON connectors (next_sync_at) WHERE next_sync_at IS NOT NULL`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX connectors_next_sync_idx`).execute(db);
  await sql.raw(`ALTER TABLE connectors DROP COLUMN sync_interval_seconds, DROP COLUMN next_sync_at, DROP COLUMN sync_failures`).execute(db);
  await sql.raw(`DROP TABLE jobs`).execute(db);
}
