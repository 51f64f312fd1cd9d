/**
 * End to end: a space with an airflow connector pointing at the stub, synced through the core's
 * SyncService into Kysely repositories on in-memory PGlite.
 */
import { PGlite } from '@electric-sql/pglite';
import { type AirflowStub, startAirflowStub } from '@signalbox/airflow-stub';
import { type Connector, createServices, newConnector, ProviderRegistry, type Repositories, randomIds, type Services, type SyncRecord } from '@signalbox/core';
import { type Database, fromPGlite, kyselyPersistence, migrateToLatest } from '@signalbox/persistence-kysely';
import { airflowProviderFactory } from './airflow-provider';

describe('sync of an Airflow connector into PGlite through the core', () => {
  let stub: AirflowStub;
  let database: Database;
  let repos: Repositories;
  let services: Services;
  let connector: Connector;
  const spaceId = randomIds.id();
  const teamId = randomIds.id();

  beforeAll(async () => {
    stub = await startAirflowStub({ apiVersion: 'v2', seed: 17, dags: 8, runs: 80, taskInstances: 240, maximumPageLimit: 20 });
    const pglite = new PGlite();
    await pglite.waitReady;
    database = fromPGlite(pglite);
    await migrateToLatest(database.db);
    const persistence = kyselyPersistence(database.db, { secretKey: 'end-to-end test secret key', ids: randomIds });
    repos = persistence.repos;
    const registry = new ProviderRegistry().register('airflow', airflowProviderFactory({ retries: 1, retryBaseMs: 5, timeoutMs: 2_000 }));
    services = createServices({ repos, uow: persistence.uow, registry });
    const now = new Date();
    await repos.spaces.create({ id: spaceId, slug: 'e2e', name: 'E2E', createdAt: now });
    await repos.teams.create({ id: teamId, spaceId, name: 'Data platform', createdAt: now });
    connector = newConnector(
      {
        id: randomIds.id(),
        spaceId,
        name: 'airflow 3',
        type: 'airflow',
        config: registry.factory('airflow').checkConfig({ base_url: stub.url, username: 'admin', password: 'admin' }),
      },
      now,
    );
    await repos.connectors.create(connector);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await stub?.close();
  });

  const sync = async (): Promise<SyncRecord> => {
    const current = (await repos.connectors.get(spaceId, connector.id))!;
    return services.syncs.runNow(current);
  };
  const count = async (table: 'pipelines' | 'runs' | 'task_runs') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const pipelineRow = (externalId: string) => database.db.selectFrom('pipelines').selectAll().where('external_id', '=', externalId).executeTakeFirstOrThrow();
  const runRow = (externalId: string) => database.db.selectFrom('runs').selectAll().where('external_id', '=', externalId).executeTakeFirstOrThrow();

  it('stores pipelines, runs and task runs on the first sync', async () => {
    const record = await sync();
    expect(record).toMatchObject({ status: 'succeeded', error: null, counts: { pipelines: 8, runs: 80, taskRuns: 240, removedPipelines: 0 } });
    expect(await count('pipelines')).toBe(8);
    expect(await count('runs')).toBe(80);
    expect(await count('task_runs')).toBe(240);
    const sample = stub.data.runs[40];
    expect(await runRow(sample.runId)).toMatchObject({ status: sample.state, native_status: sample.state });
    const stored = (await repos.connectors.get(spaceId, connector.id))!;
    expect(stored.lastSyncStatus).toBe('succeeded');
    expect(stored.cursor).not.toBeNull();
  });

  it('fetches only what changed on the next sync, and keeps team and criticality', async () => {
    const owned = await pipelineRow('dag_0002');
    await repos.pipelines.setTeam(spaceId, owned.id, teamId, new Date());
    await repos.pipelines.setCriticality(spaceId, owned.id, 'high', new Date());

    const old = stub.data.runs[3];
    stub.data.setRunState(old.dagId, old.runId, 'failed');
    stub.data.setTaskState(old.dagId, old.runId, 'late_check', 'up_for_retry');
    stub.data.addDag('zz_new_dag', { owners: ['newcomer'], tags: ['fresh'] });
    stub.data.removeDag('dag_0005');
    stub.data.dags.get('dag_0002')!.description = 'described later';
    const before = stub.requests.length;

    const record = await sync();
    expect(record.status).toBe('succeeded');
    expect(record.counts.pipelines).toBe(8);
    expect(record.counts.removedPipelines).toBe(1);
    // Only the changed rows (and the few inside the re-read overlap) come back.
    expect(record.counts.runs).toBeGreaterThanOrEqual(1);
    expect(record.counts.runs).toBeLessThan(10);
    expect(record.counts.taskRuns).toBeGreaterThanOrEqual(1);
    expect(record.counts.taskRuns).toBeLessThan(20);
    const runRequests = stub.requests.slice(before).filter((r) => r.path.endsWith('/dagRuns'));
    expect(runRequests.every((r) => typeof r.query.updated_at_gte === 'string')).toBe(true);

    expect(await runRow(old.runId)).toMatchObject({ status: 'failed', native_status: 'failed' });
    const late = await database.db.selectFrom('task_runs').selectAll().where('task_id', '=', 'late_check').executeTakeFirstOrThrow();
    expect(late).toMatchObject({ status: 'retrying', native_status: 'up_for_retry' });
    expect(await pipelineRow('dag_0002')).toMatchObject({ team_id: teamId, criticality: 'high', description: 'described later' });
    expect((await pipelineRow('dag_0005')).removed_at).not.toBeNull();
    expect(await pipelineRow('zz_new_dag')).toMatchObject({ owner: 'newcomer', removed_at: null });
    expect(await count('runs')).toBe(80);
  });

  it('keeps earlier data when a sync fails half way, and records the error on the sync and the connector', async () => {
    const cursorBefore = (await repos.connectors.get(spaceId, connector.id))!.cursor;
    const run = stub.data.runs[10];
    stub.data.setRunState(run.dagId, run.runId, 'success');
    stub.faults.add({ kind: 'status', status: 500, method: 'GET', path: /\/taskInstances$/ });
    try {
      const record = await sync();
      expect(record.status).toBe('failed');
      expect(record.error).toMatch(/^airflow 500: /);
      // Pipelines and runs were written before task instances failed.
      expect(record.counts.pipelines).toBe(8);
      expect(record.counts.runs).toBeGreaterThanOrEqual(1);
      const stored = (await repos.connectors.get(spaceId, connector.id))!;
      expect(stored).toMatchObject({ lastSyncStatus: 'failed', lastError: record.error, cursor: cursorBefore });
      const history = await repos.syncs.list(spaceId, connector.id, { page: 1, perPage: 10 });
      expect(history.items.find((s) => s.id === record.id)).toMatchObject({ status: 'failed', error: record.error });
      expect(await count('pipelines')).toBe(9);
      expect(await count('runs')).toBe(80);
      expect(await count('task_runs')).toBe(241);
    } finally {
      stub.faults.clear();
    }
    // The next sync mends it.
    expect((await sync()).status).toBe('succeeded');
    expect((await repos.connectors.get(spaceId, connector.id))!.lastError).toBeNull();
  });
});
