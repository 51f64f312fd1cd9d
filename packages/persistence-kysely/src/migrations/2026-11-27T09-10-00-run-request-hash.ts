import { type Kysely, sql } from 'kysely';

/*
 * A run Signalbox triggers keeps a fingerprint of the request that started it (conf, note and
 * logical date), so that an Idempotency-Key reused with another body is told apart from a replay.
 * Runs found by a sync, and runs triggered before this column, have none.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE runs ADD COLUMN request_hash text`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE runs DROP COLUMN request_hash`).execute(db);
}
