import { type Kysely, sql } from 'kysely';

/*
 * A data version per space, raised by every transaction that writes what a pipeline list or
 * detail shows (pipelines, their runs, their versions, watches), so that an answer's ETag can be
 * checked without building it. Raised at commit by constraint triggers deferred to it: a
 * transaction locks its space's row last, after every other row it writes, so two writers in one
 * space never wait on each other in opposite orders (a trigger at each statement would lock the
 * row in the middle of a unit of work, and a unit that wrote runs and then a pipeline would
 * deadlock against a statement on that pipeline).
 *
 * Once per transaction and space: the triggers' WHEN asks `space_list_state_first`, which notes
 * the space in a setting local to the transaction, so only a transaction's first row of a space
 * queues an event (a sync page of 100 runs queues one, not 100). A subtransaction rolled back
 * takes its setting and its queued event with it alike. Every space has its row from its creation
 * on, so the triggers only ever update one: a space being deleted loses its row before the rows it
 * cascades to, and an insert could meet it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // No space may be created between the rows below and the trigger that adds one for each new space.
  await sql`LOCK TABLE spaces IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`CREATE TABLE space_list_state (
    space_id uuid PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
    version bigint NOT NULL DEFAULT 0
  )`.execute(db);
  await sql`INSERT INTO space_list_state (space_id) SELECT id FROM spaces`.execute(db);
  await sql`CREATE FUNCTION space_list_state_new_space() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO space_list_state (space_id) VALUES (NEW.id);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER spaces_list_state AFTER INSERT ON spaces FOR EACH ROW EXECUTE FUNCTION space_list_state_new_space()`.execute(db);
  // True for the transaction's first row of the space, false after: the setting is local to it.
  await sql`CREATE FUNCTION space_list_state_first(space uuid) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
      name text := 'signalbox.list_state_' || replace(space::text, '-', '');
    BEGIN
      IF coalesce(current_setting(name, true), '') <> '' THEN
        RETURN false;
      END IF;
      PERFORM set_config(name, 'raised', true);
      RETURN true;
    END $$`.execute(db);
  await sql`CREATE FUNCTION space_list_state_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE space_list_state SET version = version + 1
      WHERE space_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.space_id ELSE NEW.space_id END;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['pipelines', 'runs', 'pipeline_versions', 'watches']) {
    // A WHEN may not read NEW on a delete, nor OLD on an insert: one trigger for each.
    for (const [suffix, events, row] of [
      ['', 'INSERT OR UPDATE', 'NEW'],
      ['_delete', 'DELETE', 'OLD'],
    ]) {
      await sql
        .raw(
          `CREATE CONSTRAINT TRIGGER ${table}_list_state${suffix} AFTER ${events} ON ${table}
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (space_list_state_first(${row}.space_id))
           EXECUTE FUNCTION space_list_state_row()`,
        )
        .execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['pipelines', 'runs', 'pipeline_versions', 'watches']) {
    await sql.raw(`DROP TRIGGER ${table}_list_state ON ${table}`).execute(db);
    await sql.raw(`DROP TRIGGER ${table}_list_state_delete ON ${table}`).execute(db);
  }
  await sql`DROP TRIGGER spaces_list_state ON spaces`.execute(db);
  await sql`DROP FUNCTION space_list_state_new_space()`.execute(db);
  await sql`DROP FUNCTION space_list_state_row()`.execute(db);
  await sql`DROP FUNCTION space_list_state_first(uuid)`.execute(db);
  await sql`DROP TABLE space_list_state`.execute(db);
}
