import { type AirflowStub, startAirflowStub } from '@signalbox/airflow-stub';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import request from 'supertest';
import { buildContainer } from './container';
import { testConfig } from './test-support';
import { T } from './tokens';

jest.setTimeout(60_000);

/**
 * End to end through the standalone app's real wiring (PGlite) and over real HTTP to a server that
 * speaks Airflow 3's API: connect, sync, read, own, trigger idempotently, survive a failing sync.
 */
describe('an airflow connector, end to end', () => {
  const KEY = 'sbx_airflow_e2e_key_0123456789abcdefgh';
  const auth = { Authorization: `Bearer ${KEY}` };
  const base = '/api/v1.0/spaces/data/orchestration';
  let stub: AirflowStub;
  let app: Parameters<typeof request>[0];
  let close: () => Promise<void>;
  let connectorId: string;

  beforeAll(async () => {
    stub = await startAirflowStub({ apiVersion: 'v2', seed: 5, dags: 12, runs: 60, taskInstances: 180, maximumPageLimit: 25 });
    const config = testConfig({ inMemoryDatabase: true, secretKey: 'airflow-e2e-secret-0123456789', airflowTimeoutMs: 5000, workerPollMs: 50 });
    const c = buildContainer(config);
    const db = await c.getAsync(T.database);
    await migrateToLatest(db.db);
    await (await c.getAsync(T.services)).access.bootstrapAdminKey(KEY);
    app = await c.getAsync(T.app);
    const worker = await c.getAsync(T.worker);
    worker.start();
    close = async () => {
      await worker.stop();
      await db.close();
      config.cleanup();
    };
    await request(app).post('/api/v1.0/spaces').set(auth).send({ slug: 'data', name: 'Data' }).expect(201);
    const created = await request(app)
      .post('/api/v1.0/spaces/data/connectors')
      .set(auth)
      // Manual syncs only: each test decides when one runs.
      .send({ name: 'airflow-prod', type: 'airflow', config: { base_url: stub.url, username: 'admin', password: 'admin' }, sync_interval_seconds: null })
      .expect(201);
    connectorId = created.body.id;
  });

  afterAll(async () => {
    await close?.();
    await stub?.close();
  });

  const sync = () => request(app).post(`${base}/connectors/${connectorId}/sync?wait=true`).set(auth);
  const pipelines = (query = '') => request(app).get(`${base}/pipelines?per_page=500${query}`).set(auth);

  it('detects the API version and checks the credentials', async () => {
    const res = await request(app).post(`/api/v1.0/spaces/data/connectors/${connectorId}/check`).set(auth).expect(200);
    expect(res.body).toMatchObject({ name: 'airflow', api_version: 'v2' });
  });

  it('syncs every DAG, run and task instance into the space', async () => {
    const res = await sync().expect(200);
    expect(res.body).toMatchObject({ status: 'succeeded', counts: { pipelines: 12, runs: 60, task_runs: 180 } });
    const list = await pipelines().expect(200);
    expect(list.headers['x-total-count']).toBe('12');
    expect(list.body.map((p: { external_id: string }) => p.external_id).sort()).toEqual([...stub.data.dags.keys()].sort());
    expect(list.body.every((p: { provider: string }) => p.provider === 'airflow')).toBe(true);
    const runsOfAll = await Promise.all(list.body.map((p: { id: string }) => request(app).get(`${base}/pipelines/${p.id}/runs?per_page=500`).set(auth)));
    expect(runsOfAll.reduce((n, r) => n + Number(r.headers['x-total-count']), 0)).toBe(60);
  });

  it('triggers through Airflow, stores the run at once, and answers a retry with the same run', async () => {
    const [p] = (await pipelines()).body;
    const first = await request(app)
      .post(`${base}/pipelines/${p.id}/trigger`)
      .set(auth)
      .set('Idempotency-Key', 'release-7')
      .send({ conf: { full: true } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ pipeline_id: p.id, conf: { full: true } });
    expect(stub.data.findRun(p.external_id, first.body.external_id)).toBeDefined();
    const again = await request(app)
      .post(`${base}/pipelines/${p.id}/trigger`)
      .set(auth)
      .set('Idempotency-Key', 'release-7')
      .send({ conf: { full: true } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(stub.data.runs.filter((r) => r.runId === first.body.external_id)).toHaveLength(1);
    const detail = await request(app).get(`${base}/runs/${first.body.id}`).set(auth).expect(200);
    expect(detail.body).toMatchObject({ id: first.body.id, triggered_by: expect.any(String) });
  });

  it('pauses and resumes a DAG in Airflow itself, and shows it at once', async () => {
    const p = (await pipelines('&status=active')).body[0];
    const paused = await request(app).patch(`${base}/pipelines/${p.id}/paused`).set(auth).send({ paused: true }).expect(200);
    expect(paused.body).toMatchObject({ id: p.id, paused: true, status: 'paused' });
    expect(stub.data.dags.get(p.external_id)?.paused).toBe(true);
    expect(stub.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/api/v2/dags/${p.external_id}`]);
    // A sync reads the same back from Airflow.
    await sync().expect(200);
    expect((await request(app).get(`${base}/pipelines/${p.id}`).set(auth)).body.paused).toBe(true);
    await request(app).patch(`${base}/pipelines/${p.id}/paused`).set(auth).send({ paused: false }).expect(200);
    expect(stub.data.dags.get(p.external_id)?.paused).toBe(false);
    // Airflow failing leaves the stored state alone.
    stub.faults.add({ kind: 'status', status: 503, path: /\/dags\/[^/]+$/ });
    try {
      const failed = await request(app).patch(`${base}/pipelines/${p.id}/paused`).set(auth).send({ paused: true });
      expect([failed.status, failed.body.error.code]).toEqual([503, 'PROVIDER_UNAVAILABLE']);
    } finally {
      stub.faults.clear();
    }
    expect((await request(app).get(`${base}/pipelines/${p.id}`).set(auth)).body.paused).toBe(false);
  });

  it('keeps earlier data and product fields when a sync fails half way, and records why', async () => {
    const [p] = (await pipelines()).body;
    await request(app).patch(`${base}/pipelines/${p.id}/criticality`).set(auth).send({ criticality: 'critical' }).expect(200);
    stub.data.removeDag([...stub.data.dags.keys()].find((id) => id !== p.external_id)!);
    stub.faults.add({ kind: 'status', status: 404, path: /\/dagRuns$/ });
    try {
      const failed = await sync().expect(200);
      expect(failed.body).toMatchObject({ status: 'failed', error: expect.stringContaining('404') });
    } finally {
      stub.faults.clear();
    }
    const after = await pipelines().expect(200);
    expect(after.headers['x-total-count']).toBe('11'); // the full DAG listing ran: the removed one is gone
    expect(after.body.find((x: { id: string }) => x.id === p.id)).toMatchObject({ criticality: 'critical' });
    const connector = await request(app).get(`/api/v1.0/spaces/data/connectors/${connectorId}`).set(auth).expect(200);
    expect(connector.body).toMatchObject({ last_sync_status: 'failed', last_error: expect.stringContaining('404') });
    const recovered = await sync().expect(200);
    expect(recovered.body.status).toBe('succeeded');
  });
});
