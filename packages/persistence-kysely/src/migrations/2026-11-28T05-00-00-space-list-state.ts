import { type Kysely, sql } from 'kysely';

/*
 * A data version per space, raised by every transaction that writes what a pipeline list or
 * detail shows (pipelines, their runs, their versions, watches), so that an answer's ETag can be
 * checked without building it. Kept by constraint triggers deferred to commit: a transaction
 * locks its space's row last, after every other row it writes, so two writers in one space never
 * wait on each other in opposite orders (a trigger at each statement would lock the row in the
 * middle of a unit of work, and a unit that wrote runs and then a pipeline would deadlock against
 * a statement on that pipeline). A transaction raises the version once, whatever it wrote
 * (`version_xact`). Every space has its row from its creation on, so the triggers only ever
 * update one: a space being deleted loses its row before the rows it cascades to, and an insert
 * could meet it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // No space may be created between the rows below and the trigger that adds one for each new space.
  await sql`LOCK TABLE spaces IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`CREATE TABLE space_list_state (
    space_id uuid PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
    version bigint NOT NULL DEFAULT 0,
    version_xact xid8
  )`.execute(db);
  await sql`INSERT INTO space_list_state (space_id) SELECT id FROM spaces`.execute(db);
  await sql`CREATE FUNCTION space_list_state_new_space() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO space_list_state (space_id) VALUES (NEW.id);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER spaces_list_state AFTER INSERT ON spaces FOR EACH ROW EXECUTE FUNCTION space_list_state_new_space()`.execute(db);
  // One row written: the transaction's new version, once per transaction.
  await sql`CREATE FUNCTION space_list_state_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE space_list_state SET version = version + 1, version_xact = pg_current_xact_id()
      WHERE space_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.space_id ELSE NEW.space_id END
        AND version_xact IS DISTINCT FROM pg_current_xact_id();
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['pipelines', 'runs', 'pipeline_versions', 'watches']) {
    await sql
      .raw(
        `CREATE CONSTRAINT TRIGGER ${table}_list_state AFTER INSERT OR UPDATE OR DELETE ON ${table}
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION space_list_state_row()`,
      )
      .execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['pipelines', 'runs', 'pipeline_versions', 'watches']) await sql.raw(`DROP TRIGGER ${table}_list_state ON ${table}`).execute(db);
  await sql`DROP TRIGGER spaces_list_state ON spaces`.execute(db);
  await sql`DROP FUNCTION space_list_state_new_space()`.execute(db);
  await sql`DROP FUNCTION space_list_state_row()`.execute(db);
  await sql`DROP TABLE space_list_state`.execute(db);
}
