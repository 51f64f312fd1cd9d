import { type Kysely, sql } from 'kysely';

/*
 * The list hides removed pipelines unless asked, so its usual filter is (space_id, removed_at IS
 * NULL). With the removal test only in the heap, PostgreSQL counted a space by scanning the whole
 * table (every space). This partial index holds just the live pipelines in list order: the count
 * becomes a scan of one space's index entries, and the default page reads 100 entries with no filter.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`CREATE INDEX pipelines_live_order_idx ON pipelines (space_id, name, id) WHERE removed_at IS NULL`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX pipelines_live_order_idx`).execute(db);
}
