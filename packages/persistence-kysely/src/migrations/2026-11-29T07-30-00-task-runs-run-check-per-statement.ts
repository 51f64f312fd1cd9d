import { type Kysely, sql } from 'kysely';

/*
 * A task run's reference to its run, checked once per statement instead of once per row (ADR
 * 0022). The foreign key (space_id, run_id) → runs (space_id, id) checked and locked the run for
 * every task run written, a fifth of the time of a first sync's task-run statements, though a
 * batch names each run about five times. The triggers below keep what the key gave:
 * - a task run is written only for a run of its own space, which stays locked (FOR KEY SHARE, as
 *   the key's check locks it) until the writing transaction ends, so no run can be deleted under
 *   task runs being written for it;
 * - a task run moved to another run is checked the same way;
 * - a run deleted (or truncated) takes its task runs with it, and their comments by their own key;
 * - a run's key cannot change while task runs name it.
 * The violations are raised as the key raised them: SQLSTATE 23503, under the key's name.
 *
 * Each function keeps the schema it was created in (`SET search_path FROM CURRENT`), so a session
 * whose search path names another schema, or none of ours, still reaches these tables. So do, from
 * here on, the data version's functions that write `space_list_state` (migration
 * `2026-11-28T05-00-00-space-list-state`): a run deleted from such a session raises its space's
 * version at commit.
 *
 * A run's deletion, or a change of its key, is refused outside READ COMMITTED (the isolation
 * every unit of work here runs at): from a REPEATABLE READ snapshot, the delete would not see task
 * runs committed after it began, and would leave them behind, where the key's cascade raised a
 * serialization failure.
 */
const KEY = 'task_runs_space_run_id_fkey';

/** The key's error for a task run naming a run that is not in its space. */
const missingRun = (space: string, run: string) => `RAISE foreign_key_violation USING
          MESSAGE = 'insert or update on table "task_runs" violates foreign key constraint "${KEY}"',
          DETAIL = format('Key (space_id, run_id)=(%s, %s) is not present in table "runs".', ${space}, ${run}),
          CONSTRAINT = '${KEY}', SCHEMA = TG_TABLE_SCHEMA, TABLE = 'task_runs'`;

/** Refuses a statement on runs outside READ COMMITTED (see above; READ UNCOMMITTED is READ COMMITTED here). */
const READ_COMMITTED_ONLY = `IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RAISE feature_not_supported USING
          MESSAGE = format('%s on table "runs" must run at READ COMMITTED, for its task runs to follow it', lower(TG_OP));
      END IF;`;

/** A trigger function in PL/pgSQL that keeps the schema it is created in. */
const triggerFunction = (name: string, body: string) =>
  sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    ${body}
    $$`);

/** A row trigger, after updates of `columns` that change them, running the function of its name. */
const onKeyChange = (name: string, table: string, columns: string[]) =>
  sql.raw(`CREATE TRIGGER ${name} AFTER UPDATE OF ${columns.join(', ')} ON ${table}
    FOR EACH ROW WHEN ((${columns.map((c) => `NEW.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `OLD.${c}`).join(', ')}))
    EXECUTE FUNCTION ${name}()`);

/** The data version's functions that read or write its table (`space_list_state_first` reads a setting only). */
const LIST_STATE_WRITERS = ['space_list_state_row()', 'space_list_state_new_space()'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE task_runs DROP CONSTRAINT ${KEY}`).execute(db);
  for (const fn of LIST_STATE_WRITERS) await sql.raw(`ALTER FUNCTION ${fn} SET search_path FROM CURRENT`).execute(db);

  // The runs of the statement's task runs, each looked up and locked once, in key order.
  await triggerFunction(
    'task_runs_check_runs',
    `DECLARE
      missing record;
    BEGIN
      WITH wanted AS (SELECT DISTINCT space_id, run_id FROM new_task_runs),
           kept AS MATERIALIZED (SELECT r.space_id, r.id FROM runs r JOIN wanted w ON r.space_id = w.space_id AND r.id = w.run_id
                                 ORDER BY r.id FOR KEY SHARE OF r)
      SELECT w.space_id, w.run_id INTO missing FROM wanted w
      WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.space_id = w.space_id AND k.id = w.run_id) LIMIT 1;
      IF FOUND THEN
        ${missingRun('missing.space_id', 'missing.run_id')};
      END IF;
      RETURN NULL;
    END`,
  ).execute(db);
  await sql`CREATE TRIGGER task_runs_check_runs AFTER INSERT ON task_runs REFERENCING NEW TABLE AS new_task_runs
    FOR EACH STATEMENT EXECUTE FUNCTION task_runs_check_runs()`.execute(db);

  // Moving a task run to another run: no writer does it, so a row trigger for the rare statement that names the columns.
  await triggerFunction(
    'task_runs_check_moved_run',
    `BEGIN
      PERFORM 1 FROM runs WHERE space_id = NEW.space_id AND id = NEW.run_id FOR KEY SHARE;
      IF NOT FOUND THEN
        ${missingRun('NEW.space_id', 'NEW.run_id')};
      END IF;
      RETURN NULL;
    END`,
  ).execute(db);
  await onKeyChange('task_runs_check_moved_run', 'task_runs', ['space_id', 'run_id']).execute(db);

  // A run's deletion, however it comes (a space, connector, pipeline or version deleted), cascades to its task runs.
  await triggerFunction(
    'runs_delete_task_runs',
    `BEGIN
      IF TG_OP = 'DELETE' THEN
        -- A statement that deleted no run has nothing to do, at any isolation.
        IF NOT EXISTS (SELECT 1 FROM deleted_runs) THEN
          RETURN NULL;
        END IF;
        ${READ_COMMITTED_ONLY}
        DELETE FROM task_runs t USING deleted_runs d WHERE t.run_id = d.id;
      ELSE
        ${READ_COMMITTED_ONLY}
        DELETE FROM task_runs;
      END IF;
      RETURN NULL;
    END`,
  ).execute(db);
  await sql`CREATE TRIGGER runs_delete_task_runs AFTER DELETE ON runs REFERENCING OLD TABLE AS deleted_runs
    FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_task_runs()`.execute(db);
  await sql`CREATE TRIGGER runs_truncate_task_runs AFTER TRUNCATE ON runs FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_task_runs()`.execute(db);

  // A run's key stays while task runs name it (the key's NO ACTION).
  await triggerFunction(
    'runs_check_key_kept',
    `BEGIN
      ${READ_COMMITTED_ONLY}
      IF EXISTS (SELECT 1 FROM task_runs WHERE run_id = OLD.id) THEN
        RAISE foreign_key_violation USING
          MESSAGE = 'update or delete on table "runs" violates foreign key constraint "${KEY}" on table "task_runs"',
          DETAIL = format('Key (space_id, id)=(%s, %s) is still referenced from table "task_runs".', OLD.space_id, OLD.id),
          CONSTRAINT = '${KEY}', SCHEMA = TG_TABLE_SCHEMA, TABLE = 'task_runs';
      END IF;
      RETURN NULL;
    END`,
  ).execute(db);
  await onKeyChange('runs_check_key_kept', 'runs', ['space_id', 'id']).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const fn of LIST_STATE_WRITERS) await sql.raw(`ALTER FUNCTION ${fn} RESET search_path`).execute(db);
  await sql`DROP TRIGGER runs_check_key_kept ON runs`.execute(db);
  await sql`DROP TRIGGER runs_truncate_task_runs ON runs`.execute(db);
  await sql`DROP TRIGGER runs_delete_task_runs ON runs`.execute(db);
  await sql`DROP TRIGGER task_runs_check_moved_run ON task_runs`.execute(db);
  await sql`DROP TRIGGER task_runs_check_runs ON task_runs`.execute(db);
  for (const fn of ['runs_check_key_kept', 'runs_delete_task_runs', 'task_runs_check_moved_run', 'task_runs_check_runs'])
    await sql.raw(`DROP FUNCTION ${fn}()`).execute(db);
  // Task runs whose run is gone (written with the triggers off, `session_replication_role =
  // replica`) are shown nowhere; they would refuse the key.
  await sql`DELETE FROM task_runs t WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.space_id = t.space_id AND r.id = t.run_id)`.execute(db);
  await sql.raw(`ALTER TABLE task_runs ADD CONSTRAINT ${KEY} FOREIGN KEY (space_id, run_id) REFERENCES runs (space_id, id) ON DELETE CASCADE`).execute(db);
}
