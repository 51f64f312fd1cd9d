import { newConnector } from '@signalbox/core';
import { aManagedRun, providerPipeline, providerRun, providerTaskRun, SequentialIds, storeManaged, T0 } from '@signalbox/core/testing';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { openDatabase } from './database';
import { kyselyPersistence, kyselyRepositories } from './index';
import { migrateToLatest } from './migrate';
import { migrations } from './migrations';
import { dropSchema, type Flavour, openTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, uniqueSchema } from './testing/test-database';

const ALL = Object.keys(migrations).sort();

const tables = async (db: Parameters<typeof migrateToLatest>[0]) =>
  (await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`.execute(db)).rows.map(
    (r) => r.table_name,
  );

describe('migrations on PGlite', () => {
  it('run from empty, then a second run applies nothing', async () => {
    const database = await openTestDatabase('pglite');
    try {
      // openTestDatabase has migrated once already.
      expect(await tables(database.db)).toEqual(expect.arrayContaining(['pipelines', 'runs', 'task_runs', 'syncs']));
      expect(await migrateToLatest(database.db)).toEqual({ applied: [] });
    } finally {
      await database.close();
    }
  });
});

describe('migrations on PostgreSQL', () => {
  const schema = uniqueSchema('migrate');
  afterAll(() => dropSchema(schema));

  it('run from empty once when two processes start at once, and a later run applies nothing', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 })));
    try {
      expect(await tables(a.db)).toEqual([]);
      const [ra, rb] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(ALL);
      expect(await tables(a.db)).toEqual(expect.arrayContaining(['pipelines', 'runs', 'task_runs', 'syncs']));
      expect(await migrateToLatest(b.db)).toEqual({ applied: [] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe.each<Flavour>(['pglite', 'postgres'])('the migrations since the first schema, on %s', (flavour) => {
  const LAST_BEFORE = '2026-11-22T06-00-00-search-text-default-collation';
  const TABLES_WITH_ROWS = ['spaces', 'users', 'memberships', 'teams', 'connectors', 'pipelines', 'watches', 'runs', 'task_runs', 'comments', 'syncs'];

  it('keep every row written before them', async () => {
    const database = await openTestDatabase(flavour, 'keeprows', { migrate: false });
    try {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema });
      expect((await migrator.migrateTo(LAST_BEFORE)).error).toBeUndefined();

      const ids = new SequentialIds();
      const s = { repos: kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids }), ids };
      for (const slug of ['one', 'two']) {
        const space = { id: ids.id(), slug, name: slug, createdAt: T0 };
        await s.repos.spaces.create(space);
        const user = { id: ids.id(), email: `${slug}@example.com`, name: slug, instanceAdmin: false, createdAt: T0 };
        await s.repos.users.create(user);
        await s.repos.memberships.put({ spaceId: space.id, userId: user.id, role: 'admin', createdAt: T0 });
        const team = { id: ids.id(), spaceId: space.id, name: 'core', createdAt: T0 };
        await s.repos.teams.create(team);
        const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
        // In SQL of the first schema: today's repository writes columns added since.
        await sql`INSERT INTO connectors (id, space_id, name, type, config, created_at, updated_at)
          VALUES (${connector.id}::uuid, ${space.id}::uuid, 'c', 'mock', '{}', ${T0}, ${T0})`.execute(database.db);
        await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('etl'), providerPipeline('load')], ids.id(), T0);
        const pipelineIds = (await sql<{ id: string }>`SELECT id FROM pipelines WHERE space_id = ${space.id}::uuid ORDER BY id`.execute(database.db)).rows;
        await s.repos.pipelines.setTeam(space.id, pipelineIds[0].id, team.id, T0);
        await s.repos.watches.watch(space.id, pipelineIds[1].id, user.id, T0);
        await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1'), providerRun('load', 'r2')], T0);
        await s.repos.taskRuns.upsertFromProvider(connector, [providerTaskRun('etl', 'r1', 'a'), providerTaskRun('load', 'r2', 'b')], T0);
        const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
        const [task] = await s.repos.taskRuns.listForRun(space.id, run.id);
        for (const target of [
          { kind: 'run', id: run.id },
          { kind: 'task_run', id: task.id },
        ] as const) {
          await s.repos.comments.create({ id: ids.id(), spaceId: space.id, target, authorId: user.id, body: 'hi', createdAt: T0, updatedAt: T0 });
        }
        const sync = {
          id: ids.id(),
          spaceId: space.id,
          connectorId: connector.id,
          status: 'running' as const,
          triggeredBy: null,
          startedAt: T0,
          heartbeatAt: T0,
        };
        await s.repos.syncs.begin({ ...sync, finishedAt: null, counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 }, error: null }, T0);
      }
      const dump = async () => {
        const all: Record<string, unknown[]> = {};
        for (const table of TABLES_WITH_ROWS) {
          const { rows } = await sql<{ row: Record<string, unknown> }>`SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t`.execute(database.db);
          all[table] = rows.map((r) => r.row);
        }
        return all;
      };
      const before = await dump();
      expect(Object.values(before).every((rows) => rows.length >= 2)).toBe(true);

      expect((await migrateToLatest(database.db)).applied).toEqual(ALL.filter((name) => name > LAST_BEFORE));
      // Every row keeps every value it had; columns added since are left out of the comparison.
      const after = await dump();
      const columnsBefore = (table: string) => Object.keys(before[table][0] as object);
      const project = (table: string, rows: unknown[]) =>
        rows.map((r) => JSON.stringify(Object.fromEntries(columnsBefore(table).map((k) => [k, (r as Record<string, unknown>)[k]])))).sort();
      for (const table of TABLES_WITH_ROWS) expect(project(table, after[table])).toEqual(project(table, before[table]));
      const hashes = await sql<{ n: number }>`SELECT count(*)::int AS n FROM runs WHERE request_hash IS NOT NULL`.execute(database.db);
      expect(hashes.rows[0].n).toBe(0);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe.each<Flavour>(['pglite', 'postgres'])('the managed pipelines migration on %s', (flavour) => {
  const LAST_BEFORE = '2026-11-27T14-00-00-jobs-and-sync-schedule';
  const TABLES_WITH_ROWS = ['pipelines', 'watches', 'runs', 'task_runs', 'comments'];
  const NEW_COLUMNS = ['origin', 'engine', 'warehouse', 'max_active_runs', 'timeout_seconds', 'current_version_id', 'current_version_number'];

  it('keeps every row, each pipeline synced, and keeps a synced pipeline without a connector out', async () => {
    const database = await openTestDatabase(flavour, 'managedmig', { migrate: false });
    try {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema });
      expect((await migrator.migrateTo(LAST_BEFORE)).error).toBeUndefined();

      const ids = new SequentialIds();
      const repos = kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids });
      const space = { id: ids.id(), slug: 'one', name: 'one', createdAt: T0 };
      await repos.spaces.create(space);
      const user = { id: ids.id(), email: 'one@example.com', name: 'one', instanceAdmin: false, createdAt: T0 };
      await repos.users.create(user);
      const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
      await repos.connectors.create(connector);
      await repos.pipelines.upsertFromProvider(connector, [providerPipeline('etl'), providerPipeline('load')], ids.id(), T0);
      const pipelineIds = (await sql<{ id: string }>`SELECT id FROM pipelines ORDER BY id`.execute(database.db)).rows;
      await repos.watches.watch(space.id, pipelineIds[1].id, user.id, T0);
      await repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1'), providerRun('load', 'r2')], T0);
      await repos.taskRuns.upsertFromProvider(connector, [providerTaskRun('etl', 'r1', 'a'), providerTaskRun('load', 'r2', 'b')], T0);
      const run = (await repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      await repos.comments.create({
        id: ids.id(),
        spaceId: space.id,
        target: { kind: 'run', id: run.id },
        authorId: user.id,
        body: 'hi',
        createdAt: T0,
        updatedAt: T0,
      });

      const dump = async () => {
        const all: Record<string, unknown[]> = {};
        for (const table of TABLES_WITH_ROWS) {
          const { rows } = await sql<{ row: Record<string, unknown> }>`SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t`.execute(database.db);
          all[table] = rows
            .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r.row).filter(([k]) => !(table === 'pipelines' && NEW_COLUMNS.includes(k))))))
            .sort();
        }
        return all;
      };
      const before = await dump();
      expect(Object.values(before).every((r) => r.length >= 1)).toBe(true);
      // Up to this migration only: later ones add columns of their own.
      expect((await migrator.migrateTo('2026-11-27T15-00-00-managed-pipelines')).error).toBeUndefined();
      expect(await dump()).toEqual(before);
      const origins = await sql<{ origin: string; n: number }>`SELECT origin, count(*)::int AS n FROM pipelines GROUP BY origin`.execute(database.db);
      expect(origins.rows).toEqual([{ origin: 'synced', n: 2 }]);
      // The CHECK keeps a synced pipeline's connector.
      await expect(sql`UPDATE pipelines SET connector_id = NULL WHERE id = ${pipelineIds[0].id}::uuid`.execute(database.db)).rejects.toMatchObject({
        code: '23514',
      });
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe.each<Flavour>(['pglite', 'postgres'])('the managed runs migration on %s', (flavour) => {
  const LAST_BEFORE = '2026-11-27T16-00-00-rate-limits';
  const THIS = '2026-11-27T17-00-00-managed-runs';
  const TABLES_WITH_ROWS = ['pipelines', 'runs', 'task_runs', 'comments'];

  it('keeps every row, each run synced; its CHECKs and keys hold; down removes managed runs only', async () => {
    const database = await openTestDatabase(flavour, 'managedruns', { migrate: false });
    try {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema });
      expect((await migrator.migrateTo(LAST_BEFORE)).error).toBeUndefined();

      const ids = new SequentialIds();
      const s = { ...kyselyPersistence(database.db, { secretKey: TEST_SECRET_KEY, ids }), ids };
      const space = { id: ids.id(), slug: 'one', name: 'one', createdAt: T0 };
      const other = { id: ids.id(), slug: 'two', name: 'two', createdAt: T0 };
      for (const sp of [space, other]) await s.repos.spaces.create(sp);
      const user = { id: ids.id(), email: 'one@example.com', name: 'one', instanceAdmin: false, createdAt: T0 };
      await s.repos.users.create(user);
      const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
      await s.repos.connectors.create(connector);
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('etl')], ids.id(), T0);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1'), providerRun('etl', 'r2')], T0);
      await s.repos.taskRuns.upsertFromProvider(connector, [providerTaskRun('etl', 'r1', 'a')], T0);
      const synced = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      await s.repos.comments.create({
        id: ids.id(),
        spaceId: space.id,
        target: { kind: 'run', id: synced.id },
        authorId: user.id,
        body: 'hi',
        createdAt: T0,
        updatedAt: T0,
      });
      const managed = (await storeManaged(s, space.id, 'orders')).pipeline;
      const elsewhere = (await storeManaged(s, other.id, 'orders')).pipeline;

      const dump = async () => {
        const all: Record<string, Record<string, unknown>[]> = {};
        for (const table of TABLES_WITH_ROWS) {
          const { rows } = await sql<{ row: Record<string, unknown> }>`SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t ORDER BY id`.execute(database.db);
          all[table] = rows.map((r) => r.row);
        }
        return all;
      };
      const before = await dump();
      expect(Object.values(before).every((r) => r.length >= 1)).toBe(true);
      expect((await migrator.migrateTo(THIS)).error).toBeUndefined();
      const after = await dump();
      for (const table of TABLES_WITH_ROWS) {
        // Every value kept; the new columns take their defaults: synced runs, no managed fields, no state.
        const added = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([k]) => !(k in before[table][0])));
        expect(after[table].map((row) => Object.fromEntries(Object.keys(before[table][0]).map((k) => [k, row[k]])))).toEqual(before[table]);
        const defaults = { pipelines: { incremental_state: {} }, task_runs: { rows: null, error: null, plan: null }, comments: {} }[table as 'pipelines'];
        for (const row of after[table]) {
          if (table === 'runs') {
            expect(added(row)).toEqual({
              origin: 'synced',
              pipeline_version_id: null,
              options: null,
              progress: null,
              rows_loaded: null,
              duration_ms: null,
              engine: null,
              error: null,
              cancel_requested_at: null,
            });
          } else expect(added(row)).toEqual(defaults);
        }
      }

      // A managed run has no connector on the embedded engine, and the new columns read back.
      const run = aManagedRun(s, managed, {}, { rowsLoaded: 5_000_000_000, durationMs: 1500 });
      expect(await s.repos.runs.insertTriggered(run, null)).toEqual(run);
      const refused = async (statement: ReturnType<typeof sql>, code: string) => expect(statement.execute(database.db)).rejects.toMatchObject({ code });
      // A synced run keeps its connector; a managed one has its version, options, progress and engine.
      await refused(sql`UPDATE runs SET connector_id = NULL WHERE id = ${synced.id}::uuid`, '23514');
      await refused(sql`UPDATE runs SET options = NULL WHERE id = ${run.id}::uuid`, '23514');
      await refused(sql`UPDATE runs SET origin = 'synced' WHERE id = ${run.id}::uuid`, '23514');
      await refused(sql`UPDATE runs SET origin = 'other' WHERE id = ${synced.id}::uuid`, '23514');
      await refused(sql`UPDATE runs SET rows_loaded = -1 WHERE id = ${run.id}::uuid`, '23514');
      await refused(sql`UPDATE task_runs SET rows = -1`, '23514');
      // The version is one of the run's own space.
      await refused(sql`UPDATE runs SET pipeline_version_id = ${elsewhere.managed!.currentVersion.id}::uuid WHERE id = ${run.id}::uuid`, '23503');

      expect((await migrator.migrateDown()).error).toBeUndefined();
      const runs = await sql<{ id: string }>`SELECT id FROM runs ORDER BY id`.execute(database.db);
      expect(runs.rows.map((r) => r.id)).toEqual(before.runs.map((r) => r.id));
      await refused(sql`UPDATE runs SET connector_id = NULL WHERE id = ${synced.id}::uuid`, '23502');
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await s.repos.runs.get(space.id, synced.id)).toEqual({ ...synced, origin: 'synced', managed: null });
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe.each<Flavour>(['pglite', 'postgres'])('the sync times migration on %s', (flavour) => {
  it('truncates due times written with microseconds to the millisecond, and leaves the rest', async () => {
    const database = await openTestDatabase(flavour, 'synctimes', { migrate: false });
    try {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema });
      expect((await migrator.migrateTo('2026-11-27T17-00-00-managed-runs')).error).toBeUndefined();
      const ids = new SequentialIds();
      const s = kyselyPersistence(database.db, { secretKey: TEST_SECRET_KEY, ids });
      const space = { id: ids.id(), slug: 'one', name: 'one', createdAt: T0 };
      await s.repos.spaces.create(space);
      const fine = newConnector({ id: ids.id(), spaceId: space.id, name: 'fine', type: 'airflow', config: {} }, T0);
      const micro = newConnector({ id: ids.id(), spaceId: space.id, name: 'micro', type: 'airflow', config: {} }, T0);
      const none = newConnector({ id: ids.id(), spaceId: space.id, name: 'none', type: 'mock', config: {} }, T0);
      for (const c of [fine, micro, none]) await s.repos.connectors.create(c);
      // What the first version of the schedule migration wrote: now(), with microseconds.
      await sql`UPDATE connectors SET next_sync_at = '2026-11-27 14:00:00.123456+00' WHERE id = ${micro.id}`.execute(database.db);

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const after = await sql<{
        name: string;
        at: string | null;
      }>`SELECT name, to_char(next_sync_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS at FROM connectors ORDER BY name`.execute(database.db);
      expect(after.rows).toEqual([
        { name: 'fine', at: `${T0.toISOString().slice(11, 23)}000` },
        { name: 'micro', at: '14:00:00.123000' },
        { name: 'none', at: null },
      ]);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe.each<Flavour>(['pglite', 'postgres'])("the migration of the task runs' check of their run on %s", (flavour) => {
  const THIS = '2026-11-29T07-30-00-task-runs-run-check-per-statement';

  it('keeps every task run, trades the key for its triggers, and down brings the key back', async () => {
    const database = await openTestDatabase(flavour, 'runcheck', { migrate: false });
    try {
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db);
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema });
      expect((await migrator.migrateTo(ALL[ALL.indexOf(THIS) - 1])).error).toBeUndefined();
      const ids = new SequentialIds();
      const s = kyselyPersistence(database.db, { secretKey: TEST_SECRET_KEY, ids });
      const space = { id: ids.id(), slug: 'one', name: 'one', createdAt: T0 };
      await s.repos.spaces.create(space);
      const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
      await s.repos.connectors.create(connector);
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('etl')], ids.id(), T0);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1')], T0);
      await s.repos.taskRuns.upsertFromProvider(connector, [providerTaskRun('etl', 'r1', 'a')], T0);
      const dump = async () => (await sql`SELECT to_jsonb(t) AS row FROM task_runs t ORDER BY id`.execute(database.db)).rows;
      const key = async () =>
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'task_runs_space_run_id_fkey'`.execute(database.db)).rows[0].n;
      const orphan = () =>
        expect(
          sql`INSERT INTO task_runs (id, space_id, run_id, external_id, task_id, map_index, status, try_number, created_at, updated_at)
            VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${ids.id()}::uuid, 'x', 'x', -1, 'success', 1, ${T0}, ${T0})`.execute(database.db),
        ).rejects.toMatchObject({ code: '23503' });
      const before = await dump();
      expect(before).toHaveLength(1);

      expect((await migrator.migrateTo(THIS)).error).toBeUndefined();
      expect([await dump(), await key()]).toEqual([before, 0]);
      await orphan();

      expect((await migrator.migrateDown()).error).toBeUndefined();
      expect([await dump(), await key()]).toEqual([before, 1]);
      await orphan();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    } finally {
      await database.close();
    }
  }, 60_000);
});
