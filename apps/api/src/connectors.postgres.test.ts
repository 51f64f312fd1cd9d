import pg from 'pg';
import request from 'supertest';
import { buildContainer } from './container';
import { freshDatabase, testConfig } from './test-support';
import { T } from './tokens';

jest.setTimeout(60_000);

// Airflow connectors through the real wiring: secrets are write-only on the wire and encrypted at rest.
describe('airflow connectors (PostgreSQL)', () => {
  const KEY = 'sbx_connector_test_key_0123456789abcdef';
  let database: { url: string; drop(): Promise<void> };
  let app: Parameters<typeof request>[0];
  let close: () => Promise<void>;
  const auth = { Authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    database = await freshDatabase('connectors');
    const config = testConfig({ databaseUrl: database.url, secretKey: 'connector-test-secret-0123', airflowTimeoutMs: 2000, workerPollMs: 50 });
    const c = buildContainer(config);
    const db = await c.getAsync(T.database);
    const { migrateToLatest } = await import('@signalbox/persistence-kysely');
    await migrateToLatest(db.db);
    const services = await c.getAsync(T.services);
    await services.access.bootstrapAdminKey(KEY);
    app = await c.getAsync(T.app);
    const worker = await c.getAsync(T.worker);
    worker.start();
    close = async () => {
      await worker.stop();
      await db.close();
      config.cleanup();
    };
    await request(app).post('/api/v1.0/spaces').set(auth).send({ slug: 'ops', name: 'Ops' }).expect(201);
  });
  afterAll(async () => {
    await close?.();
    await database?.drop();
  });

  it('never returns the password or token, and stores them encrypted', async () => {
    const created = await request(app)
      .post('/api/v1.0/spaces/ops/connectors')
      .set(auth)
      .send({ name: 'prod', type: 'airflow', config: { base_url: 'http://127.0.0.1:1/api/v1', username: 'svc', password: 'hunter2-secret' } });
    expect(created.status).toBe(201);
    expect(created.body.config).toEqual({ base_url: 'http://127.0.0.1:1', api_version: 'v1', username: 'svc', password_set: true });
    const id = created.body.id;
    for (const path of [`/api/v1.0/spaces/ops/connectors/${id}`, '/api/v1.0/spaces/ops/connectors']) {
      const res = await request(app).get(path).set(auth);
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      expect(JSON.stringify(res.body)).toContain('"password_set":true');
    }
    const renamed = await request(app).patch(`/api/v1.0/spaces/ops/connectors/${id}`).set(auth).send({ name: 'prod-eu' });
    expect(renamed.body).toMatchObject({ name: 'prod-eu', config: { password_set: true } });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM connectors WHERE id = $1', [id]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain('hunter2');
    } finally {
      await client.end();
    }

    const bad = await request(app)
      .patch(`/api/v1.0/spaces/ops/connectors/${id}`)
      .set(auth)
      .send({ config: { password: null } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: 'config.password' })]);
  });

  it('reports an unreachable Airflow as a provider error and records a failed sync', async () => {
    const created = await request(app)
      .post('/api/v1.0/spaces/ops/connectors')
      .set(auth)
      // Manual only: a scheduled sync must not take the connector before this test asks for one.
      .send({
        name: 'gone',
        type: 'airflow',
        config: { base_url: 'http://127.0.0.1:1', api_version: 'v2', token: 't0ken-value' },
        sync_interval_seconds: null,
      });
    expect(created.status).toBe(201);
    const check = await request(app).post(`/api/v1.0/spaces/ops/connectors/${created.body.id}/check`).set(auth);
    // Nothing listens on port 1: the connection is refused, which is "unreachable", a 503 (a timeout would be 504).
    expect(check.status).toBe(503);
    expect(check.body.error).toMatchObject({ code: 'PROVIDER_UNREACHABLE', provider: { name: 'airflow', status: null } });
    const sync = await request(app).post(`/api/v1.0/spaces/ops/orchestration/connectors/${created.body.id}/sync?wait=true`).set(auth);
    expect(sync.status).toBe(200);
    expect(sync.body.status).toBe('failed');
    expect(sync.body.error).toBeTruthy();
    expect(JSON.stringify(sync.body)).not.toContain('t0ken-value');
  });
});
