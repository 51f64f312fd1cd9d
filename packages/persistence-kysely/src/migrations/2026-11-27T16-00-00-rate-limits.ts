import { type Kysely, sql } from 'kysely';

/*
 * The API's rate-limit counters, shared by every process on one database. The columns are the
 * layout rate-limiter-flexible's PostgreSQL store reads and writes (its upsert inserts the three
 * values by position); the store is told the table exists and never creates it at run time.
 * Counters are disposable: nothing else refers to them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE rate_limits`).execute(db);
}
