/**
 * End to end: a space with an argo connector pointing at the stub, synced through the core's
 * SyncService into Kysely repositories on in-memory PGlite, and a trigger through the RunService.
 */
import { PGlite } from '@electric-sql/pglite';
import { type ArgoStub, startArgoStub } from '@signalbox/argo-stub';
import { type Connector, createServices, newConnector, ProviderRegistry, type Repositories, randomIds, type Services, type SyncRecord } from '@signalbox/core';
import { type Database, fromPGlite, kyselyPersistence, migrateToLatest } from '@signalbox/persistence-kysely';
import { argoProviderFactory } from './argo-provider';
import { until } from './testing';

describe('sync of an Argo connector into PGlite through the core', () => {
  let stub: ArgoStub;
  let database: Database;
  let repos: Repositories;
  let services: Services;
  let connector: Connector;
  const spaceId = randomIds.id();
  const admin = { userId: randomIds.id(), instanceAdmin: true };

  beforeAll(async () => {
    stub = await startArgoStub({ seed: 31, templates: 3, cronWorkflows: 2, workflows: 30, archivedShare: 0.3, maximumLimit: 7, stepMs: 100 });
    const pglite = new PGlite();
    await pglite.waitReady;
    database = fromPGlite(pglite);
    await migrateToLatest(database.db);
    const persistence = kyselyPersistence(database.db, { secretKey: 'end-to-end test secret key', ids: randomIds });
    repos = persistence.repos;
    const registry = new ProviderRegistry().register('argo', argoProviderFactory({ retries: 1, retryBaseMs: 5, timeoutMs: 5_000, pageSize: 10 }));
    services = createServices({ repos, uow: persistence.uow, registry });
    const now = new Date();
    await repos.spaces.create({ id: spaceId, slug: 'e2e', name: 'E2E', createdAt: now });
    connector = newConnector(
      {
        id: randomIds.id(),
        spaceId,
        name: 'argo',
        type: 'argo',
        config: registry
          .factory('argo')
          .checkConfig({ base_url: `${stub.url}/api/v1/`, namespace: stub.namespace, token: stub.token, warehouse_secret: { name: 'warehouse', key: 'url' } }),
      },
      now,
    );
    await repos.connectors.create(connector);
  }, 60_000);

  afterAll(async () => {
    try {
      expect(stub.violations).toEqual([]);
    } finally {
      await database?.close();
      await stub?.close();
    }
  });

  const sync = async (): Promise<SyncRecord> => services.syncs.runNow((await repos.connectors.get(spaceId, connector.id))!);
  const count = async (table: 'pipelines' | 'runs' | 'task_runs') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const runRows = (externalId: string) => database.db.selectFrom('runs').selectAll().where('external_id', '=', externalId).execute();

  it('stores pipelines, runs and task runs on the first sync, and nothing twice on the next', async () => {
    const record = await sync();
    expect(record).toMatchObject({ status: 'succeeded', error: null, counts: { pipelines: 5, removedPipelines: 0 } });
    expect(record.counts.runs).toBeGreaterThan(10);
    expect(record.counts.taskRuns).toBeGreaterThan(record.counts.runs);
    expect(await count('runs')).toBe(record.counts.runs);
    expect(await count('task_runs')).toBe(record.counts.taskRuns);
    const stored = (await repos.connectors.get(spaceId, connector.id))!;
    expect(stored.cursor).not.toBeNull();
    const again = await sync();
    expect(again.status).toBe('succeeded');
    expect(again.counts.runs).toBeLessThan(record.counts.runs);
    expect(await count('runs')).toBe(record.counts.runs);
  });

  it('triggers through the core with an idempotency key; the synced run is the same run', async () => {
    const pipeline = await database.db.selectFrom('pipelines').selectAll().where('external_id', 'like', 'workflowtemplate/%').executeTakeFirstOrThrow();
    const first = await services.runs.trigger(admin, 'e2e', pipeline.id, { idempotencyKey: 'e2e-once', conf: { day: '2026-03-01' } });
    expect(first.created).toBe(true);
    const replay = await services.runs.trigger(admin, 'e2e', pipeline.id, { idempotencyKey: 'e2e-once', conf: { day: '2026-03-01' } });
    expect(replay).toMatchObject({ created: false, run: { id: first.run.id } });
    expect(stub.requests.filter((r) => r.path.endsWith('/submit'))).toHaveLength(1);
    const externalId = first.run.externalId;
    await until('the workflow to finish', async () => {
      const wf = stub.data.workflows.find((w) => w.labels['signalbox.io/triggered-run-id'] === externalId);
      return wf?.phase === 'Succeeded';
    });
    expect((await sync()).status).toBe('succeeded');
    const rows = await runRows(externalId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: first.run.id, status: 'success', native_status: 'Succeeded' });
  });
});
