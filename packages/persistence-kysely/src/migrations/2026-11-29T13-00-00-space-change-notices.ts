import { type Kysely, sql } from 'kysely';

/*
 * The database names each space whose answer to `getBySlugWithRole` a transaction changed, on the
 * channel `signalbox_space_changes`, when it commits (ADR 0024): its data version raised
 * (`space_list_state`, migration `2026-11-28T05-00-00-space-list-state`), its own row updated or
 * deleted, a membership in it added, changed or removed. A `TRUNCATE` of any of these tables, which
 * fires no row trigger, names every space (`*`). A process that serves the API listens and forgets
 * what it kept of the spaces named. A notice goes at commit only, once per space and transaction
 * however many rows named it, and not at all when the transaction rolls back.
 */
const CHANNEL = 'signalbox_space_changes';
const TABLES: [table: string, events: string][] = [
  ['space_list_state', 'UPDATE'],
  ['spaces', 'UPDATE OR DELETE'],
  ['memberships', 'INSERT OR UPDATE OR DELETE'],
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `CREATE FUNCTION space_change_notice() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Branches, not one CASE: each reads a column only the rows of its branch have.
      IF TG_TABLE_NAME = 'spaces' THEN
        PERFORM pg_notify('${CHANNEL}', OLD.id::text);
      ELSIF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('${CHANNEL}', NEW.space_id::text);
      ELSE
        -- A row moved to another space (an update of its key) changes both.
        PERFORM pg_notify('${CHANNEL}', OLD.space_id::text);
        IF TG_OP = 'UPDATE' AND NEW.space_id IS DISTINCT FROM OLD.space_id THEN
          PERFORM pg_notify('${CHANNEL}', NEW.space_id::text);
        END IF;
      END IF;
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE FUNCTION space_change_notice_all() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${CHANNEL}', '*');
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  for (const [table, events] of TABLES) {
    await sql.raw(`CREATE TRIGGER ${table}_change_notice AFTER ${events} ON ${table} FOR EACH ROW EXECUTE FUNCTION space_change_notice()`).execute(db);
    await sql
      .raw(`CREATE TRIGGER ${table}_change_notice_all AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION space_change_notice_all()`)
      .execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table] of TABLES) {
    await sql.raw(`DROP TRIGGER ${table}_change_notice ON ${table}`).execute(db);
    await sql.raw(`DROP TRIGGER ${table}_change_notice_all ON ${table}`).execute(db);
  }
  await sql`DROP FUNCTION space_change_notice()`.execute(db);
  await sql`DROP FUNCTION space_change_notice_all()`.execute(db);
}
