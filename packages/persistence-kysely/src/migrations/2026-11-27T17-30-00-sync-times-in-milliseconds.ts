import { type Kysely, sql } from 'kysely';

/*
 * Scheduled syncs are claimed by compare-and-set on `connectors.next_sync_at` at the millisecond
 * (JavaScript dates carry no more). The jobs-and-sync-schedule migration first set it with `now()`,
 * which carries microseconds; databases that ran that version keep such values. Truncating every
 * due time to the millisecond makes them all comparable. Idempotent; nothing to undo.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`UPDATE connectors SET next_sync_at = date_trunc('milliseconds', next_sync_at)
            WHERE next_sync_at IS NOT NULL AND next_sync_at <> date_trunc('milliseconds', next_sync_at)`.execute(db);
}

export async function down(): Promise<void> {}
