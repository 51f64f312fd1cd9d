import { type Connector, DomainError, newConnector, type PipelineProjection, project, type Run } from '@signalbox/core';
import { aManagedRun, aStep, aTriggeredRun, SequentialIds, storeManaged, T0 } from '@signalbox/core/testing';
import type { Kysely, KyselyPlugin } from 'kysely';
import { sql } from 'kysely';
import { type Database, openDatabase } from './database';
import { kyselyPersistence, kyselyRepositories } from './index';
import type { Schema } from './schema';
import { type Flavour, openTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, truncateAll } from './testing/test-database';

/** Counts the statements a Kysely instance executes (one result each; sub-queries are not results). */
function counting() {
  const counter = { n: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      counter.n += 1;
      return args.result;
    },
  };
  return { counter, plugin };
}

/** A plugin that runs `act` once (again after `done` is reset), right after a statement's result comes back. */
function afterFirstResult(act: () => Promise<unknown>) {
  const race = {
    done: false,
    plugin: {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (!race.done) {
          race.done = true;
          await act();
        }
        return args.result;
      },
    } satisfies KyselyPlugin,
  };
  return race;
}

const pipelineOf = (externalId: string) => ({
  externalId,
  name: externalId,
  description: null,
  owner: null,
  tags: [],
  schedule: null,
  paused: false,
  nextRunAt: null,
});
const runOf = (pipelineExternalId: string, externalId: string) => ({
  pipelineExternalId,
  externalId,
  status: 'success' as const,
  nativeStatus: null,
  runType: 'scheduled' as const,
  logicalDate: null,
  queuedAt: null,
  startedAt: T0,
  finishedAt: null,
  durationSeconds: 1,
  conf: null,
  note: null,
  updatedAt: null,
});
const taskOf = (pipelineExternalId: string, runExternalId: string) => ({
  pipelineExternalId,
  runExternalId,
  taskId: 't',
  mapIndex: -1,
  status: 'success' as const,
  nativeStatus: null,
  tryNumber: 1,
  startedAt: T0,
  finishedAt: T0,
  durationSeconds: 0,
  operator: null,
  updatedAt: null,
});
const listAll = (viewerId: string) => ({ filter: {}, page: { page: 1, perPage: 100 }, viewerId, since: new Date(T0.getTime() - 86400_000), days: 1 });

describe.each<Flavour>(['pglite', 'postgres'])('Kysely specifics on %s', (flavour) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(flavour, 'specifics');
  }, 60_000);
  afterAll(() => database.close());
  beforeEach(() => truncateAll(database));
  /** How many rows a table holds. */
  const count = async (table: 'runs' | 'task_runs' | 'comments') =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(database.db)).rows[0].n;

  async function setting() {
    const ids = new SequentialIds();
    const repos = kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids });
    const space = { id: ids.id(), slug: 'acme', name: 'Acme', createdAt: T0 };
    await repos.spaces.create(space);
    const connector = newConnector(
      {
        id: ids.id(),
        spaceId: space.id,
        name: 'prod',
        type: 'airflow',
        config: { base_url: 'http://airflow:8080', username: 'admin', password: 'hunter2-secret', token: 'tok-secret' },
      },
      T0,
    );
    await repos.connectors.create(connector);
    return { ids, repos, space, connector };
  }

  it('holds a connector read for update until its unit of work ends, so a sync’s write waits for an edit', async () => {
    const { ids, repos, space, connector } = await setting();
    const { uow } = kyselyPersistence(database.db, { secretKey: TEST_SECRET_KEY, ids });
    const order: string[] = [];
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const edit = uow.run(async (r) => {
      const current = (await r.connectors.get(space.id, connector.id, { forUpdate: true }))!;
      locked();
      await new Promise((r) => setTimeout(r, 300));
      await r.connectors.update({ ...current, name: 'renamed' });
      order.push('edit');
    });
    await isLocked;
    const sync = repos.connectors.recordSync(space.id, connector.id, { at: T0, status: 'succeeded', error: null, cursor: 'after the edit' }).then(() => {
      order.push('sync');
    });
    await Promise.all([edit, sync]);
    // PGlite has one session, so its units run one at a time anyway; PostgreSQL needs the lock.
    expect(order).toEqual(['edit', 'sync']);
    expect(await repos.connectors.get(space.id, connector.id)).toMatchObject({ name: 'renamed', cursor: 'after the edit' });
  });

  it('claims a scheduled sync whose due time the database wrote itself, with microseconds', async () => {
    const { repos, space, connector } = await setting();
    await sql`UPDATE connectors SET sync_interval_seconds = 60, next_sync_at = now() - interval '1 second' + interval '123 microseconds' WHERE id = ${connector.id}::uuid`.execute(
      database.db,
    );
    const [due] = await repos.connectors.dueForSync(new Date(Date.now() + 60_000), 10);
    expect(due.id).toBe(connector.id);
    expect(await repos.connectors.claimScheduledSync(space.id, connector.id, due.nextSyncAt!, new Date(Date.now() + 60_000))).toBe(true);
    expect(await repos.connectors.claimScheduledSync(space.id, connector.id, due.nextSyncAt!, new Date(Date.now() + 60_000))).toBe(false);
  });

  it('stores connector secrets encrypted, apart from the plain config', async () => {
    const { repos, space, connector } = await setting();
    const row = (await sql<{ config: unknown; secrets: string }>`SELECT config, secrets FROM connectors`.execute(database.db)).rows[0];
    expect(row.config).toEqual({ base_url: 'http://airflow:8080', username: 'admin' });
    expect(row.secrets).not.toContain('hunter2');
    expect(row.secrets).not.toContain('tok-secret');
    expect(Buffer.from(row.secrets.split('.')[3], 'base64url').toString('latin1')).not.toContain('hunter2');
    expect((await repos.connectors.get(space.id, connector.id))!.config).toEqual(connector.config);
    const wrongKey = kyselyRepositories(database.db, { secretKey: 'another secret key entirely', ids: new SequentialIds() });
    await expect(wrongKey.connectors.get(space.id, connector.id)).rejects.toThrow();
    // A ciphertext moved onto another connector does not open: the id is bound to it.
    const other = { ...connector, id: '00000000-0000-4000-8000-0000000000ff', name: 'other', config: {} };
    await repos.connectors.create(other);
    await sql`UPDATE connectors SET secrets = (SELECT secrets FROM connectors WHERE id = ${connector.id}::uuid) WHERE id = ${other.id}::uuid`.execute(
      database.db,
    );
    await expect(repos.connectors.get(space.id, other.id)).rejects.toThrow();
  });

  it('turns a unique violation into a conflict with the database error as cause', async () => {
    const { repos, space } = await setting();
    const err = await repos.spaces.create({ ...space, id: '00000000-0000-4000-8000-0000000000aa' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'conflict', code: 'SPACE_EXISTS', cause: { code: '23505' } });
  });

  it("turns a foreign key violation on a pipeline's team into invalid TEAM_NOT_FOUND with the database error as cause", async () => {
    const { repos, space, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    const [pipeline] = (await repos.pipelines.list(space.id, listAll(ids.id()))).items;
    const missingTeam = '00000000-0000-4000-8000-0000000000bb';
    const err = await repos.pipelines.setTeam(space.id, pipeline.pipeline.id, missingTeam, T0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'invalid', code: 'TEAM_NOT_FOUND', details: [{ field: 'team_id' }], cause: { code: '23503' } });
    expect(await repos.pipelines.setTeam(space.id, pipeline.pipeline.id, null, T0)).toBe(true);
  });

  /**
   * Writes rows the schema refuses (they cross spaces), to show that the queries keep spaces apart
   * on their own too: for this transaction only, foreign key triggers do not fire.
   */
  const forging = (write: (trx: Kysely<Schema>) => Promise<unknown>) =>
    database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await write(trx);
    });

  it('refuses, in the schema itself, any row that references a row of another space', async () => {
    const { repos, space, connector, ids } = await setting();
    const other = { id: ids.id(), slug: 'other', name: 'Other', createdAt: T0 };
    await repos.spaces.create(other);
    const otherConnector: Connector = { ...connector, id: ids.id(), spaceId: other.id, name: 'other', config: {} };
    await repos.connectors.create(otherConnector);
    const otherTeam = { id: ids.id(), spaceId: other.id, name: 'theirs', createdAt: T0 };
    await repos.teams.create(otherTeam);
    for (const [c, ext] of [
      [connector, 'etl'],
      [otherConnector, 'foreign'],
    ] as const) {
      await repos.pipelines.upsertFromProvider(c, [pipelineOf(ext)], ids.id(), T0);
      // Run ids of their own: moving a run onto the other pipeline meets no unique key first.
      await repos.runs.upsertFromProvider(c, [runOf(ext, `r-${ext}`)], T0);
      await repos.taskRuns.upsertFromProvider(c, [taskOf(ext, `r-${ext}`)], T0);
    }
    const idOf = async (table: 'pipelines' | 'runs' | 'task_runs', spaceId: string) =>
      (await sql<{ id: string }>`SELECT id FROM ${sql.table(table)} WHERE space_id = ${spaceId}::uuid`.execute(database.db)).rows[0].id;
    const [theirPipeline, theirRun, theirTaskRun] = [await idOf('pipelines', other.id), await idOf('runs', other.id), await idOf('task_runs', other.id)];
    const [ourPipeline, ourRun] = [await idOf('pipelines', space.id), await idOf('runs', space.id)];
    const user = ids.id();

    const crossings = [
      sql`UPDATE pipelines SET team_id = ${otherTeam.id}::uuid WHERE id = ${ourPipeline}::uuid`,
      sql`UPDATE pipelines SET connector_id = ${otherConnector.id}::uuid WHERE id = ${ourPipeline}::uuid`,
      sql`INSERT INTO watches (space_id, pipeline_id, user_id, created_at) VALUES (${space.id}::uuid, ${theirPipeline}::uuid, ${user}::uuid, ${T0})`,
      sql`UPDATE runs SET pipeline_id = ${theirPipeline}::uuid WHERE id = ${ourRun}::uuid`,
      sql`UPDATE runs SET connector_id = ${otherConnector.id}::uuid WHERE id = ${ourRun}::uuid`,
      sql`UPDATE task_runs SET run_id = ${theirRun}::uuid, task_id = 'moved' WHERE space_id = ${space.id}::uuid`,
      sql`INSERT INTO comments (id, space_id, run_id, author_id, body, created_at, updated_at)
        VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${theirRun}::uuid, ${user}::uuid, 'x', ${T0}, ${T0})`,
      sql`INSERT INTO comments (id, space_id, task_run_id, author_id, body, created_at, updated_at)
        VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${theirTaskRun}::uuid, ${user}::uuid, 'x', ${T0}, ${T0})`,
      sql`INSERT INTO syncs (id, space_id, connector_id, status, started_at, heartbeat_at)
        VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${otherConnector.id}::uuid, 'succeeded', ${T0}, ${T0})`,
    ];
    for (const [i, crossing] of crossings.entries()) {
      const err = await crossing.execute(database.db).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      expect([i, err]).toEqual([i, '23503']);
    }
    // Through the repository, another space's team is as absent as a missing one.
    await expect(repos.pipelines.setTeam(space.id, ourPipeline, otherTeam.id, T0)).rejects.toMatchObject({ kind: 'invalid', code: 'TEAM_NOT_FOUND' });
  });

  it('keeps the delete behaviour: a deleted team clears only team_id, a deleted connector takes what was synced from it', async () => {
    const { repos, space, connector, ids } = await setting();
    const team = { id: ids.id(), spaceId: space.id, name: 'core', createdAt: T0 };
    await repos.teams.create(team);
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1')], T0);
    await repos.taskRuns.upsertFromProvider(connector, [taskOf('etl', 'r1')], T0);
    const [etl] = (await repos.pipelines.list(space.id, listAll(ids.id()))).items;
    await repos.pipelines.setTeam(space.id, etl.pipeline.id, team.id, T0);
    expect(await repos.teams.delete(space.id, team.id)).toBe(true);
    expect(await repos.pipelines.get(space.id, etl.pipeline.id)).toMatchObject({ spaceId: space.id, teamId: null });
    expect(await repos.connectors.delete(space.id, connector.id)).toBe(true);
    const left = await sql<{
      n: number;
    }>`SELECT (SELECT count(*) FROM pipelines) + (SELECT count(*) FROM runs) + (SELECT count(*) FROM task_runs) AS n`.execute(database.db);
    expect(Number(left.rows[0].n)).toBe(0);
  });

  describe("a task run's run, checked once per statement (ADR 0022)", () => {
    /** Two runs of one pipeline, each with a task run and a comment on it. */
    async function twoRuns() {
      const { repos, space, connector, ids } = await setting();
      await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
      await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1'), runOf('etl', 'r2')], T0);
      await repos.taskRuns.upsertFromProvider(connector, [taskOf('etl', 'r1'), taskOf('etl', 'r2')], T0);
      const rows = await sql<{ run_id: string; run: string; task_run_id: string }>`
        SELECT r.id AS run_id, r.external_id AS run, t.id AS task_run_id FROM runs r JOIN task_runs t ON t.run_id = r.id ORDER BY r.external_id`.execute(
        database.db,
      );
      const [r1, r2] = rows.rows;
      for (const { task_run_id } of [r1, r2])
        await sql`INSERT INTO comments (id, space_id, task_run_id, author_id, body, created_at, updated_at)
          VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${task_run_id}::uuid, ${ids.id()}::uuid, 'x', ${T0}, ${T0})`.execute(database.db);
      return { repos, space, connector, ids, r1, r2 };
    }
    const insertTaskRun = (spaceId: string, runId: string, taskId: string, id: string) =>
      sql`INSERT INTO task_runs (id, space_id, run_id, external_id, task_id, map_index, status, try_number, created_at, updated_at)
        VALUES (${id}::uuid, ${spaceId}::uuid, ${runId}::uuid, ${taskId}, ${taskId}, -1, 'success', 1, ${T0}, ${T0})`;
    const codeOf = (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
      );

    it('refuses a whole statement of task runs when one names a run that is not in its space, under the key’s name', async () => {
      const { space, ids, r1, r2 } = await twoRuns();
      const other = { id: ids.id(), slug: 'other', name: 'Other', createdAt: T0 };
      await kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids }).spaces.create(other);
      const refused = '23503 task_runs_space_run_id_fkey';
      expect(await codeOf(insertTaskRun(space.id, ids.id(), 'nowhere', ids.id()).execute(database.db))).toBe(refused);
      expect(await codeOf(insertTaskRun(other.id, r1.run_id, 'elsewhere', ids.id()).execute(database.db))).toBe(refused);
      const mixed = sql`INSERT INTO task_runs (id, space_id, run_id, external_id, task_id, map_index, status, try_number, created_at, updated_at)
        VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${r1.run_id}::uuid, 'good', 'good', -1, 'success', 1, ${T0}, ${T0}),
               (${ids.id()}::uuid, ${space.id}::uuid, ${ids.id()}::uuid, 'bad', 'bad', -1, 'success', 1, ${T0}, ${T0})`;
      expect(await codeOf(mixed.execute(database.db))).toBe(refused);
      expect(await count('task_runs')).toBe(2);
      // A task run of a run of its space is written, and may move to another run of that space only.
      const id = ids.id();
      expect(await codeOf(insertTaskRun(space.id, r1.run_id, 'more', id).execute(database.db))).toBe('written');
      expect(await codeOf(sql`UPDATE task_runs SET run_id = ${ids.id()}::uuid WHERE id = ${id}::uuid`.execute(database.db))).toBe(refused);
      expect(await codeOf(sql`UPDATE task_runs SET run_id = ${r2.run_id}::uuid WHERE id = ${id}::uuid`.execute(database.db))).toBe('written');
      expect(await codeOf(sql`UPDATE task_runs SET space_id = ${other.id}::uuid WHERE id = ${id}::uuid`.execute(database.db))).toBe(refused);
    });

    it('deletes the task runs of a deleted run, and their comments, and only theirs; a truncated runs table takes them all', async () => {
      const { r1, r2 } = await twoRuns();
      await sql`DELETE FROM runs WHERE id = ${r1.run_id}::uuid`.execute(database.db);
      expect((await sql<{ run_id: string }>`SELECT run_id FROM task_runs`.execute(database.db)).rows).toEqual([{ run_id: r2.run_id }]);
      expect(await count('comments')).toBe(1);
      await sql`TRUNCATE runs CASCADE`.execute(database.db);
      expect(await count('task_runs')).toBe(0);
    });

    it('reaches its own tables from a session whose search path names none of them', async () => {
      const { space, ids, r1, r2 } = await twoRuns();
      const { schema } = (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db)).rows[0];
      const elsewhere = (statement: ReturnType<typeof sql>) =>
        codeOf(
          database.db.transaction().execute(async (trx) => {
            await sql`SET LOCAL search_path = pg_catalog`.execute(trx);
            await statement.execute(trx);
          }),
        );
      const orphan = sql`INSERT INTO ${sql.table(`${schema}.task_runs`)} (id, space_id, run_id, external_id, task_id, map_index, status, try_number, created_at, updated_at)
        VALUES (${ids.id()}::uuid, ${space.id}::uuid, ${ids.id()}::uuid, 'x', 'x', -1, 'success', 1, ${T0}, ${T0})`;
      expect(await elsewhere(orphan)).toBe('23503 task_runs_space_run_id_fkey');
      const version = async () =>
        (await sql<{ v: string }>`SELECT version::text AS v FROM space_list_state WHERE space_id = ${space.id}::uuid`.execute(database.db)).rows[0].v;
      const before = await version();
      expect(await elsewhere(sql`DELETE FROM ${sql.table(`${schema}.runs`)} WHERE id = ${r1.run_id}::uuid`)).toBe('written');
      expect((await sql<{ run_id: string }>`SELECT run_id FROM task_runs`.execute(database.db)).rows).toEqual([{ run_id: r2.run_id }]);
      expect(BigInt(await version())).toBe(BigInt(before) + 1n);
    });

    it('refuses to delete runs, or change their key, outside READ COMMITTED, where their task runs could be left behind', async () => {
      const { ids, r1 } = await twoRuns();
      const repeatable = (statement: ReturnType<typeof sql>) =>
        codeOf(
          database.db.transaction().execute(async (trx) => {
            await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(trx);
            await statement.execute(trx);
          }),
        );
      expect(await repeatable(sql`DELETE FROM runs WHERE id = ${r1.run_id}::uuid`)).toBe('0A000 undefined');
      expect(await repeatable(sql`UPDATE runs SET id = ${ids.id()}::uuid WHERE id = ${r1.run_id}::uuid`)).toBe('0A000 undefined');
      expect(await repeatable(sql`DELETE FROM runs WHERE id = ${ids.id()}::uuid`)).toBe('written');
      expect(await count('task_runs')).toBe(2);
    });

    it("keeps a run's key while task runs name it", async () => {
      const { repos, connector, ids, r1 } = await twoRuns();
      const refused = '23503 task_runs_space_run_id_fkey';
      expect(await codeOf(sql`UPDATE runs SET id = ${ids.id()}::uuid WHERE id = ${r1.run_id}::uuid`.execute(database.db))).toBe(refused);
      await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r3')], T0);
      expect(await codeOf(sql`UPDATE runs SET id = ${ids.id()}::uuid WHERE external_id = 'r3'`.execute(database.db))).toBe('written');
    });
  });

  it("writes an engine step listed twice in one batch once, as the later entry has it, its run's id in either case", async () => {
    const { space, ids } = await setting();
    const s = { ...kyselyPersistence(database.db, { secretKey: TEST_SECRET_KEY, ids }), ids };
    const { pipeline } = await storeManaged(s, space.id, 'orders');
    // An id with letters, so that its upper case differs.
    const run = aManagedRun(s, pipeline, { id: 'abcdef01-0000-4000-8000-00000000beef' });
    await s.repos.runs.insertTriggered(run, null);
    const step = aStep(s, run, 'extract');
    await s.repos.taskRuns.putSteps([step, { ...step, id: ids.id(), runId: run.id.toUpperCase(), status: 'success' }]);
    expect((await s.repos.taskRuns.listForRun(space.id, run.id)).map((t) => [t.taskId, t.status])).toEqual([['extract', 'success']]);
  });

  it('writes a batch of runs, or of task runs, all or none on its own, as a sync writes them outside any unit of work', async () => {
    const { repos, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    // The second row of each batch is one the table refuses once the first is in: the first must not stay.
    await expect(repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1'), { ...runOf('etl', 'r2'), status: 'bogus' as 'success' }], T0)).rejects.toThrow(
      /runs_status_check/,
    );
    expect(await count('runs')).toBe(0);
    await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1')], T0);
    await expect(
      repos.taskRuns.upsertFromProvider(connector, [taskOf('etl', 'r1'), { ...taskOf('etl', 'r1'), taskId: 'u', status: null as unknown as 'success' }], T0),
    ).rejects.toThrow(/not-null/);
    expect(await count('task_runs')).toBe(0);
  });

  it('scopes sync writes and the watched flag by space in SQL, even against rows that cross spaces', async () => {
    const { repos, space, connector, ids } = await setting();
    const other = { id: ids.id(), slug: 'other', name: 'Other', createdAt: T0 };
    await repos.spaces.create(other);
    const otherConnector: Connector = { ...connector, id: ids.id(), spaceId: other.id, name: 'other', config: {} };
    await repos.connectors.create(otherConnector);
    await repos.pipelines.upsertFromProvider(otherConnector, [pipelineOf('foreign')], ids.id(), T0);
    expect(await repos.runs.upsertFromProvider(otherConnector, [runOf('foreign', 'r1')], T0)).toBe(1);
    // A row of the other space that names this space's connector: the connector alone must not reach it.
    await forging((trx) => sql`UPDATE pipelines SET connector_id = ${connector.id}::uuid WHERE external_id = 'foreign'`.execute(trx));
    expect(await repos.runs.upsertFromProvider(connector, [runOf('foreign', 'r2')], T0)).toBe(0);
    expect(await repos.taskRuns.upsertFromProvider(connector, [taskOf('foreign', 'r1')], T0)).toBe(0);
    const counts = await sql<{
      runs: number;
      tasks: number;
    }>`SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM task_runs) AS tasks`.execute(database.db);
    expect(counts.rows[0]).toEqual({ runs: 1, tasks: 0 });

    // A watch row filed under the other space does not mark this space's pipeline watched.
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    const user = { id: ids.id(), email: 'w@example.com', name: 'W', instanceAdmin: false, createdAt: T0 };
    await repos.users.create(user);
    const [etl] = (await repos.pipelines.list(space.id, listAll(user.id))).items.filter((v) => v.pipeline.externalId === 'etl');
    await forging((trx) =>
      sql`INSERT INTO watches (space_id, pipeline_id, user_id, created_at) VALUES (${other.id}::uuid, ${etl.pipeline.id}::uuid, ${user.id}::uuid, ${T0})`.execute(
        trx,
      ),
    );
    const listed = await repos.pipelines.list(space.id, listAll(user.id));
    expect(listed.items.find((v) => v.pipeline.id === etl.pipeline.id)!.watched).toBe(false);
    expect((await repos.pipelines.list(space.id, { ...listAll(user.id), filter: { watchedOnly: true } })).items).toEqual([]);
  });

  it('lists a page of pipelines with summaries in one statement, whatever the page size', async () => {
    const { repos, space, connector, ids } = await setting();
    const pipelines = Array.from({ length: 40 }, (_, i) => ({
      externalId: `dag_${String(i).padStart(2, '0')}`,
      name: `Pipeline ${i}`,
      description: null,
      owner: null,
      tags: [],
      schedule: null,
      paused: false,
      nextRunAt: null,
    }));
    await repos.pipelines.upsertFromProvider(connector, pipelines, ids.id(), T0);
    await repos.runs.upsertFromProvider(
      connector,
      pipelines.flatMap((p) =>
        [1, 2, 3].map((n) => ({
          pipelineExternalId: p.externalId,
          externalId: `r${n}`,
          status: 'success' as const,
          nativeStatus: null,
          runType: 'scheduled' as const,
          logicalDate: null,
          queuedAt: null,
          startedAt: new Date(T0.getTime() - n * 3600_000),
          finishedAt: null,
          durationSeconds: n,
          conf: null,
          note: null,
          updatedAt: null,
        })),
      ),
      T0,
    );
    const { counter, plugin } = counting();
    const counted = kyselyRepositories(database.db.withPlugin(plugin), { secretKey: TEST_SECRET_KEY, ids });
    const query = (perPage: number, page = 1) => ({
      filter: { q: 'pipeline' },
      page: { page, perPage },
      viewerId: ids.id(),
      since: new Date(T0.getTime() - 7 * 86400_000),
      days: 7,
    });
    for (const perPage of [1, 10, 40]) {
      counter.n = 0;
      const listed = await counted.pipelines.list(space.id, query(perPage));
      expect(listed.items).toHaveLength(perPage);
      expect(listed.total).toBe(40);
      expect(listed.items.every((v) => v.summary.runs === 3 && v.summary.avgDurationSeconds === 2)).toBe(true);
      expect(counter.n).toBe(1);
    }
    counter.n = 0;
    expect(await counted.pipelines.list(space.id, query(40, 2))).toEqual({ items: [], total: 40 });
    expect(counter.n).toBe(2);
  });

  it("counts a list's total once per data version of its space, outside transactions only", async () => {
    const { repos, space, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, ['a', 'b', 'c'].map(pipelineOf), ids.id(), T0);
    const query = (filter = {}) => ({ filter, page: { page: 1, perPage: 100 }, viewerId: ids.id(), since: T0, days: 7 });
    const names = { name: 'name' } as const;
    const listed = async (r = repos, filter = {}) => {
      const page = await r.pipelines.listRendered(space.id, query(filter), names);
      return { names: (JSON.parse(page.json) as { name: string }[]).map((p) => p.name), total: page.total };
    };
    expect(await listed()).toEqual({ names: ['a', 'b', 'c'], total: 3 });
    // A pipeline written with the version's triggers off: the version, and so the kept total, stay.
    await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids }).pipelines.upsertFromProvider(connector, [pipelineOf('d')], ids.id(), T0);
    });
    expect(await listed()).toEqual({ names: ['a', 'b', 'c', 'd'], total: 3 });
    // Another filter has a total of its own.
    expect(await listed(repos, { provider: ['airflow'] })).toEqual({ names: ['a', 'b', 'c', 'd'], total: 4 });
    // Inside a transaction the version is raised only at commit: its own writes are counted all the same.
    await database.db.transaction().execute(async (trx) => {
      const inTrx = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      expect(await listed(inTrx)).toEqual({ names: ['a', 'b', 'c', 'd'], total: 4 });
      await inTrx.pipelines.upsertFromProvider(connector, [pipelineOf('e')], ids.id(), T0);
      expect(await listed(inTrx)).toEqual({ names: ['a', 'b', 'c', 'd', 'e'], total: 5 });
    });
    // Any write that raises the version: counted again.
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('f')], ids.id(), T0);
    expect(await listed()).toEqual({ names: ['a', 'b', 'c', 'd', 'e', 'f'], total: 6 });
  });

  it('renders the row part of a listed pipeline once for each version of its row, and renders the page whole if a row goes meanwhile', async () => {
    const { repos, space, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, ['a', 'b'].map(pipelineOf), ids.id(), T0);
    const query = { filter: {}, page: { page: 1, perPage: 100 }, viewerId: ids.id(), since: T0, days: 7 };
    const described: PipelineProjection = { name: 'name', description: 'description', runs: 'summary.runs' };
    const named: PipelineProjection = { name: 'name', watched: 'watched' };
    const listed = async (projection: PipelineProjection, r = repos) => JSON.parse((await r.pipelines.listRendered(space.id, query, projection)).json);
    const expected = async (projection: PipelineProjection) => (await repos.pipelines.list(space.id, query)).items.map((v) => project(projection, v));
    expect(await listed(described)).toEqual([
      { name: 'a', description: null, runs: 0 },
      { name: 'b', description: null, runs: 0 },
    ]);
    // Each projection has parts of its own; a written row is rendered again.
    expect(await listed(named)).toEqual(await expected(named));
    await repos.pipelines.upsertFromProvider(connector, [{ ...pipelineOf('a'), description: 'loads a' }], ids.id(), T0);
    expect(await listed(described)).toEqual(await expected(described));
    expect((await listed(described))[0].description).toBe('loads a');
    expect(await listed(named)).toEqual(await expected(named));
    // A row deleted between the page and the read of rows not rendered yet: the page is read again, whole.
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('c')], ids.id(), T0);
    const deletion = afterFirstResult(() => sql`DELETE FROM pipelines WHERE external_id = 'c'`.execute(database.db));
    const racing = kyselyRepositories(database.db.withPlugin(deletion.plugin), { secretKey: TEST_SECRET_KEY, ids });
    const page = await racing.pipelines.listRendered(space.id, query, described);
    expect(deletion.done).toBe(true);
    expect(JSON.parse(page.json)).toEqual(await expected(described));
    expect(page.total).toBe(2);
    // The same when its row part is kept but not its summary over another window.
    const month = { ...query, since: new Date(T0.getTime() - 30 * 86400_000), days: 30 };
    expect(JSON.parse((await racing.pipelines.listRendered(space.id, query, described)).json)).toHaveLength(2);
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('c')], ids.id(), T0);
    expect(JSON.parse((await racing.pipelines.listRendered(space.id, query, described)).json)).toHaveLength(3);
    deletion.done = false;
    const again = await racing.pipelines.listRendered(space.id, month, described);
    expect(deletion.done).toBe(true);
    expect(JSON.parse(again.json)).toEqual((await repos.pipelines.list(space.id, month)).items.map((v) => project(described, v)));
    expect(again.total).toBe(2);
  });

  it("keeps a listed pipeline's summary for its space's data version and window, outside transactions only", async () => {
    const { repos, space, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, ['a', 'b'].map(pipelineOf), ids.id(), T0);
    await repos.runs.upsertFromProvider(connector, [runOf('a', 'r1'), runOf('a', 'r2'), runOf('b', 'r3')], T0);
    const query = (days: number) => ({
      filter: {},
      page: { page: 1, perPage: 100 },
      viewerId: ids.id(),
      since: new Date(T0.getTime() - days * 86400_000),
      days,
    });
    const runs: PipelineProjection = { name: 'name', runs: 'summary.runs' };
    const listed = async (days = 7, r = repos) => JSON.parse((await r.pipelines.listRendered(space.id, query(days), runs)).json);
    const counted = (a: number, b: number) => [
      { name: 'a', runs: a },
      { name: 'b', runs: b },
    ];
    expect(await listed()).toEqual(counted(2, 1));
    // A run written with the version's triggers off: the version, and so the kept summary, stay.
    await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids }).runs.upsertFromProvider(connector, [runOf('a', 'r4')], T0);
    });
    expect(await listed()).toEqual(counted(2, 1));
    // Another window is summarised apart.
    expect(await listed(30)).toEqual(counted(3, 1));
    // Inside a transaction, its own writes count at once.
    await database.db.transaction().execute(async (trx) => {
      const inTrx = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      expect(await listed(7, inTrx)).toEqual(counted(3, 1));
      await inTrx.runs.upsertFromProvider(connector, [runOf('b', 'r5')], T0);
      expect(await listed(7, inTrx)).toEqual(counted(3, 2));
    });
    // Committed, the version moved: summarised again.
    expect(await listed()).toEqual(counted(3, 2));
  });

  it("writes only a page's integer limit and offset into the list's statement", async () => {
    const { repos, space, ids } = await setting();
    const query = (page: number, perPage: number) => ({ filter: {}, page: { page, perPage }, viewerId: ids.id(), since: T0, days: 7 });
    for (const [page, perPage] of [
      [1, 1.5],
      [0.5, 10],
      [Number.NaN, 10],
      [0, 10],
    ]) {
      await expect(repos.pipelines.listRendered(space.id, query(page, perPage), { id: 'id' })).rejects.toThrow(/non-negative integers/);
    }
    expect(await repos.pipelines.listRendered(space.id, query(3, 10), { id: 'id' })).toMatchObject({ json: '[]', total: 0 });
    // Deeper pages bind theirs.
    await expect(repos.pipelines.listRendered(space.id, query(50, 1.5), { id: 'id' })).rejects.toThrow(/non-negative integers/);
    expect(await repos.pipelines.listRendered(space.id, query(50, 10), { id: 'id' })).toMatchObject({ json: '[]', total: 0 });
  });

  it('tags an empty page with the version of its own snapshot, and sees its own writes inside a transaction', async () => {
    const { repos, space, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('a')], ids.id(), T0);
    const query = (owner: string) => ({ filter: { owner }, page: { page: 1, perPage: 100 }, viewerId: ids.id(), since: T0, days: 7 });
    const before = await repos.pipelines.dataVersion(space.id);
    const write = afterFirstResult(() => repos.pipelines.upsertFromProvider(connector, [{ ...pipelineOf('b'), owner: 'nobody' }], ids.id(), T0));
    const racing = kyselyRepositories(database.db.withPlugin(write.plugin), { secretKey: TEST_SECRET_KEY, ids });
    const empty = await racing.pipelines.listRendered(space.id, query('nobody'), { name: 'name' });
    expect(write.done).toBe(true);
    // The page was read before the write: its tag must not name the version after it.
    expect(empty).toEqual({ json: '[]', total: 1, version: before });
    expect(await repos.pipelines.dataVersion(space.id)).not.toBe(before);
    // A transaction writing the same row twice: each listing shows the latest write.
    const [a] = (await repos.pipelines.list(space.id, { ...query(''), filter: {} })).items;
    await database.db.transaction().execute(async (trx) => {
      const inTrx = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      const criticality = async () => JSON.parse((await inTrx.pipelines.listRendered(space.id, { ...query(''), filter: {} }, { c: 'criticality' })).json)[0].c;
      await inTrx.pipelines.setCriticality(space.id, a.pipeline.id, 'high', T0);
      expect(await criticality()).toBe('high');
      await inTrx.pipelines.setCriticality(space.id, a.pipeline.id, 'low', T0);
      expect(await criticality()).toBe('low');
    });
  });

  it('writes a sync batch of runs in one statement, however many runs', async () => {
    const { repos, connector, ids } = await setting();
    await repos.pipelines.upsertFromProvider(
      connector,
      [{ externalId: 'etl', name: 'etl', description: null, owner: null, tags: [], schedule: null, paused: false, nextRunAt: null }],
      ids.id(),
      T0,
    );
    const { counter, plugin } = counting();
    const counted = kyselyRepositories(database.db.withPlugin(plugin), { secretKey: TEST_SECRET_KEY, ids });
    const runs = Array.from({ length: 500 }, (_, i) => ({
      pipelineExternalId: 'etl',
      externalId: `r${i}`,
      status: 'success' as const,
      nativeStatus: null,
      runType: 'scheduled' as const,
      logicalDate: null,
      queuedAt: null,
      startedAt: T0,
      finishedAt: null,
      durationSeconds: 1,
      conf: { i },
      note: null,
      updatedAt: null,
    }));
    expect(await counted.runs.upsertFromProvider(connector, runs, T0)).toBe(500);
    expect(counter.n).toBe(1);
  });

  it('says which row a triggered run names is not in its space, from the key that refused it', async () => {
    const { repos, connector, ids, space } = await setting();
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    const [pipeline] = (await database.db.selectFrom('pipelines').select('id').execute()) as { id: string }[];
    const other = { id: ids.id(), slug: 'other', name: 'Other', createdAt: T0 };
    await repos.spaces.create(other);
    const theirs = newConnector({ id: ids.id(), spaceId: other.id, name: 'prod', type: 'mock', config: {} }, T0);
    await repos.connectors.create(theirs);
    const run: Run = {
      ...aTriggeredRun({ ids }, { id: pipeline.id, spaceId: space.id, connectorId: connector.id }),
      connectorId: theirs.id,
    };
    await expect(repos.runs.insertTriggered(run, null, { noteLastRun: true })).rejects.toMatchObject({ kind: 'not_found', code: 'CONNECTOR_NOT_FOUND' });
    await expect(repos.runs.insertTriggered({ ...run, connectorId: connector.id, spaceId: other.id }, null)).rejects.toMatchObject({
      kind: 'not_found',
      code: 'PIPELINE_NOT_FOUND',
    });
    expect((await repos.runs.insertTriggered({ ...run, connectorId: connector.id }, null)).id).toBe(run.id);
    // The same key claimed from another space: no insert (the key exists), and not found there.
    await expect(repos.runs.insertTriggered({ ...run, id: ids.id(), connectorId: theirs.id, spaceId: other.id }, 'h')).rejects.toMatchObject({
      kind: 'not_found',
      code: 'PIPELINE_NOT_FOUND',
    });
  });

  it("raises a space's data version once per transaction that writes it, however many rows; a rolled-back savepoint takes its raise with it", async () => {
    const { repos, connector, ids } = await setting();
    const other = { id: ids.id(), slug: 'other', name: 'Other', createdAt: T0 };
    await repos.spaces.create(other);
    const otherConnector = newConnector({ id: ids.id(), spaceId: other.id, name: 'prod', type: 'mock', config: {} }, T0);
    await repos.connectors.create(otherConnector);
    const version = async (spaceId: string) =>
      Number(
        (await sql<{ version: string | number }>`SELECT version FROM space_list_state WHERE space_id = ${spaceId}::uuid`.execute(database.db)).rows[0].version,
      );
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl'), pipelineOf('elt')], ids.id(), T0);
    await repos.pipelines.upsertFromProvider(otherConnector, [pipelineOf('etl')], ids.id(), T0);
    const [mine, theirs] = [await version(connector.spaceId), await version(other.id)];
    // Many rows of two tables and two spaces in one transaction: one raise for each space.
    await database.db.transaction().execute(async (trx) => {
      const r = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      await r.runs.upsertFromProvider(connector, [runOf('etl', 'a'), runOf('etl', 'b'), runOf('elt', 'c')], T0);
      await r.pipelines.noteLastRuns(connector.spaceId, connector.id, [{ pipelineExternalId: 'etl', status: 'success', runAt: T0 }]);
      await r.runs.upsertFromProvider(otherConnector, [runOf('etl', 'a')], T0);
    });
    expect([await version(connector.spaceId), await version(other.id)]).toEqual([mine + 1, theirs + 1]);
    // The next transaction raises it again: what marked the first one did not outlive it.
    await repos.runs.upsertFromProvider(connector, [runOf('etl', 'd')], T0);
    expect(await version(connector.spaceId)).toBe(mine + 2);
    // A write in a savepoint rolled back, then another: raised once, by the write that stayed.
    await database.db.transaction().execute(async (trx) => {
      await sql`SAVEPOINT s`.execute(trx);
      await kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids }).runs.upsertFromProvider(connector, [runOf('etl', 'gone')], T0);
      await sql`ROLLBACK TO SAVEPOINT s`.execute(trx);
      await kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids }).runs.upsertFromProvider(connector, [runOf('etl', 'kept')], T0);
    });
    expect(await version(connector.spaceId)).toBe(mine + 3);
    // Only a rolled-back write: nothing changed, no raise.
    await database.db.transaction().execute(async (trx) => {
      await sql`SAVEPOINT s`.execute(trx);
      await kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids }).runs.upsertFromProvider(connector, [runOf('etl', 'gone')], T0);
      await sql`ROLLBACK TO SAVEPOINT s`.execute(trx);
    });
    expect(await version(connector.spaceId)).toBe(mine + 3);
    expect(await version(other.id)).toBe(theirs + 1);
  });
});

/** A promise and the call that settles it: a test holds a transaction open until it fires. */
function signal() {
  let fire = () => {};
  const fired = new Promise<void>((ok) => {
    fire = ok;
  });
  return { fire, fired };
}

/** How many sessions wait for a lock the session `pid` holds, once one does (or after 5 s). */
async function waitersOn(db: Kysely<Schema>, pid: number): Promise<number> {
  const count = async () =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${pid}::int = ANY (pg_blocking_pids(pid))`.execute(db)).rows[0].n;
  for (let i = 0; i < 200 && (await count()) === 0; i++) await new Promise((ok) => setTimeout(ok, 25));
  return count();
}

/** The session's process id on the server. */
const backendPid = async (db: Kysely<Schema>) => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0].pid;

describe('task runs being written, and their run, on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('postgres', 'runlock');
  }, 60_000);
  afterAll(() => database.close());

  it('keeps the run from being deleted until the task runs written for it commit, then deletes them with it', async () => {
    const ids = new SequentialIds();
    const repos = kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids });
    const space = { id: ids.id(), slug: 'lock', name: 'Lock', createdAt: T0 };
    await repos.spaces.create(space);
    const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
    await repos.connectors.create(connector);
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1')], T0);
    const deleting = (lockTimeout: string) =>
      database.db
        .transaction()
        .execute(async (trx) => {
          await sql`SELECT set_config('lock_timeout', ${lockTimeout}, true)`.execute(trx);
          await sql`DELETE FROM runs WHERE external_id = 'r1'`.execute(trx);
        })
        .then(
          () => 'deleted',
          (e: { code?: string }) => e.code,
        );

    const release = signal();
    const written = signal();
    let writerPid = 0;
    const writer = database.db.transaction().execute(async (trx) => {
      const tx = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      expect(await tx.taskRuns.upsertFromProvider(connector, [taskOf('etl', 'r1')], T0)).toBe(1);
      writerPid = await backendPid(trx);
      written.fire();
      await release.fired;
    });
    try {
      await written.fired;
      // Another session cannot take the run from under the writer, however long it is let wait…
      expect(await deleting('200ms')).toBe('55P03');
      // …and one that waits for it deletes it once the writer commits, with the task run written meanwhile.
      const waiting = deleting('0');
      expect(await waitersOn(database.db, writerPid)).toBe(1);
      release.fire();
      await writer;
      expect(await waiting).toBe('deleted');
    } finally {
      release.fire();
      await writer.catch(() => undefined);
    }
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM task_runs`.execute(database.db)).rows[0].n).toBe(0);
  });
});

describe('sync batches written at once on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('postgres', 'lockorder');
  }, 60_000);
  afterAll(() => database.close());

  type Repos = ReturnType<typeof kyselyRepositories>;
  const SYNC = '00000000-0000-4000-8000-00000000aaaa';
  const runsOf = (keys: string[]) => keys.map((k) => runOf('etl', k));
  const tasksOf = (keys: string[]) => keys.map((k) => ({ ...taskOf('etl', 'r1'), taskId: k }));
  /** Each kind of sync batch: how to write the rows of two keys, 'a' and 'b'. */
  const kinds: [string, (repos: Repos, connector: Connector, keys: string[]) => Promise<unknown>][] = [
    ['pipelines', (r, c, keys) => r.pipelines.upsertFromProvider(c, keys.map(pipelineOf), SYNC, T0)],
    ['runs', (r, c, keys) => r.runs.upsertFromProvider(c, runsOf(keys), T0)],
    ['task runs', (r, c, keys) => r.taskRuns.upsertFromProvider(c, tasksOf(keys), T0)],
  ];

  it.each(kinds)('lock %s in key order whatever order their batch lists them, so two syncs never deadlock', async (kind, write) => {
    // Ids of its own in the shared schema.
    const ids = new SequentialIds(1 + 100 * kinds.findIndex(([k]) => k === kind));
    const repos = kyselyRepositories(database.db, { secretKey: TEST_SECRET_KEY, ids });
    const space = { id: ids.id(), slug: `order-${kind.replace(' ', '-')}`, name: 'Order', createdAt: T0 };
    await repos.spaces.create(space);
    const connector = newConnector({ id: ids.id(), spaceId: space.id, name: 'c', type: 'mock', config: {} }, T0);
    await repos.connectors.create(connector);
    await repos.pipelines.upsertFromProvider(connector, [pipelineOf('etl')], ids.id(), T0);
    await repos.runs.upsertFromProvider(connector, [runOf('etl', 'r1')], T0);
    await write(repos, connector, ['a', 'b']);

    const release = signal();
    const holdsA = signal();
    // One sync holds 'a' and will want 'b'; the other lists 'b' before 'a'.
    let holder = 0;
    const first = database.db.transaction().execute(async (trx) => {
      const tx = kyselyRepositories(trx, { secretKey: TEST_SECRET_KEY, ids });
      await write(tx, connector, ['a']);
      holder = await backendPid(trx);
      holdsA.fire();
      await release.fired;
      await write(tx, connector, ['b']);
    });
    let second: Promise<unknown> | undefined;
    try {
      // The first may fail before it holds 'a': then it ends the wait.
      await Promise.race([holdsA.fired, first.then(() => Promise.reject(new Error('the first sync ended before it held its row')))]);
      second = write(repos, connector, ['b', 'a']);
      expect(await waitersOn(database.db, holder)).toBe(1);
      // Had the second taken 'b' before waiting for 'a', the first would now wait for it: a deadlock.
      release.fire();
      expect((await Promise.allSettled([first, second])).map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual([
        'fulfilled',
        'fulfilled',
      ]);
    } finally {
      release.fire();
      await Promise.allSettled([first, second]);
    }
  });
});

describe('sync leases across processes on PostgreSQL', () => {
  let databases: Database[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((d) => d.close()));
  });

  it('lets exactly one of several pools begin a sync of a connector', async () => {
    const first = await openTestDatabase('postgres', 'lease');
    // More processes: separate pools (separate sessions) on the same schema.
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: TEST_DATABASE_URL, schema: first.schema!, poolSize: 2 })));
    databases = [...others, first];
    const { repos, space, connector } = await (async () => {
      const ids = new SequentialIds(7);
      const r = kyselyRepositories(first.db, { secretKey: TEST_SECRET_KEY, ids });
      const s = { id: ids.id(), slug: 'lease', name: 'Lease', createdAt: T0 };
      await r.spaces.create(s);
      const c = newConnector({ id: ids.id(), spaceId: s.id, name: 'c', type: 'mock', config: {} }, T0);
      await r.connectors.create(c);
      return { repos: r, space: s, connector: c };
    })();
    const all = [first, ...others].map((d, i) => kyselyRepositories(d.db, { secretKey: TEST_SECRET_KEY, ids: new SequentialIds(100 + i) }));
    for (let round = 0; round < 5; round++) {
      const records = all.map((_, i) => ({
        id: `00000000-0000-4000-8000-${String(round * 10 + i + 1).padStart(12, '0')}`,
        spaceId: space.id,
        connectorId: connector.id,
        status: 'running' as const,
        triggeredBy: null,
        startedAt: T0,
        heartbeatAt: T0,
        finishedAt: null,
        counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 },
        error: null,
      }));
      const outcomes = await Promise.all(all.map((r, i) => r.syncs.begin(records[i], new Date(T0.getTime() - 60_000))));
      const winners = outcomes.filter((o) => o.started);
      expect(winners).toHaveLength(1);
      const winner = records[outcomes.findIndex((o) => o.started)];
      for (const o of outcomes) if (!o.started) expect(o.running.id).toBe(winner.id);
      await repos.syncs.finish({ ...winner, status: 'succeeded', finishedAt: T0 });
    }
  });
});

describe('managed run starts across processes on PostgreSQL', () => {
  let databases: Database[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((d) => d.close()));
  });

  it('never runs more than max_active_runs of a pipeline, and starts its runs in queue order', async () => {
    const first = await openTestDatabase('postgres', 'starts');
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: TEST_DATABASE_URL, schema: first.schema!, poolSize: 3 })));
    databases = [...others, first];
    const ids = new SequentialIds(7);
    const s = { ...kyselyPersistence(first.db, { secretKey: TEST_SECRET_KEY, ids }), ids };
    const space = { id: ids.id(), slug: 'starts', name: 'Starts', createdAt: T0 };
    await s.repos.spaces.create(space);
    const { pipeline } = await storeManaged(s, space.id, 'orders');
    const runs: Run[] = [];
    for (let i = 0; i < 12; i++) {
      const at = new Date(T0.getTime() + i * 1000);
      runs.push(aManagedRun(s, pipeline, { createdAt: at, queuedAt: at, runAt: at }));
    }
    // Stored in another order than the queue's.
    for (const run of [...runs].reverse()) await s.repos.runs.insertTriggered(run, null);
    const all = [first, ...others].map((d, i) => kyselyRepositories(d.db, { secretKey: TEST_SECRET_KEY, ids: new SequentialIds(100 + i) }));
    const order: string[] = [];
    for (let round = 0; round < 20 && order.length < runs.length; round++) {
      // Every process tries every run at once.
      const outcomes = await Promise.all(all.flatMap((r) => runs.map((run) => r.runs.startManaged(space.id, run.id, 3, T0).then((o) => [run.id, o] as const))));
      // Within a round, in queue order (the outcomes come back in the order the calls were made).
      const started = new Set(outcomes.filter(([, o]) => o === 'started').map(([id]) => id));
      order.push(...runs.filter((r) => started.has(r.id)).map((r) => r.id));
      const running = await s.repos.runs.listForPipeline(space.id, pipeline.id, { status: ['running'] }, { page: 1, perPage: 100 });
      expect(running.total).toBeLessThanOrEqual(3);
      // One finishes, making room for the next.
      const oldest = running.items.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
      if (oldest) await s.repos.runs.updateManaged(space.id, oldest.id, { status: 'success', finishedAt: T0 }, T0);
    }
    expect(order).toEqual(runs.map((r) => r.id));
  }, 60_000);
});
