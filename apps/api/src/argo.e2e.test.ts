import { type ArgoStub, startArgoStub } from '@signalbox/argo-stub';
import request from 'supertest';
import { argoConnectorBody, runningApp } from './test-support';

jest.setTimeout(120_000);

const TERMINAL = ['success', 'failed', 'canceled'];

/**
 * Argo end to end through the standalone app's real wiring (PGlite) and over real HTTP to a server
 * that speaks the Argo Server API: connect, sync templates, cron workflows and workflows; define a
 * managed pipeline on the argo connector, run it, watch its steps, fail, retry, cancel, dry run.
 * Every request the adapter sends is checked against both official swagger files by the stub.
 */
describe('an argo connector, end to end', () => {
  const KEY = 'sbx_argo_e2e_key_0123456789abcdefghij';
  const auth = { Authorization: `Bearer ${KEY}` };
  const base = '/api/v1.0/spaces/data/orchestration';
  let stub: ArgoStub;
  let app: Parameters<typeof request>[0];
  let close: () => Promise<void>;
  let connectorId: string;

  beforeAll(async () => {
    stub = await startArgoStub({
      seed: 3,
      templates: 4,
      cronWorkflows: 2,
      workflows: 30,
      nodesPerWorkflow: 3,
      archivedShare: 0.2,
      maximumLimit: 7,
      stepMs: 150,
    });
    stub.taskOutputs = (_wf, _task) => ({ outcome: JSON.stringify({ rows: 4, cursor: null }) });
    ({ app, close } = await runningApp(KEY));
    const created = await request(app).post('/api/v1.0/spaces/data/connectors').set(auth).send(argoConnectorBody(stub));
    expect([created.status, created.body.error]).toEqual([201, undefined]);
    connectorId = created.body.id;
  });

  afterEach(() => {
    expect(stub.violations).toEqual([]);
    stub.taskOutcome = () => 'Succeeded';
  });

  afterAll(async () => {
    await close?.();
    await stub?.close();
  });

  const managedDefinition = (name: string) => ({
    name,
    engine: 'argo-prod',
    variables: { since: '2026-01-01' },
    steps: ['extract_orders', 'daily_totals', 'publish'].map((step, i, all) => ({
      name: step,
      config: {
        query_type: 'sql',
        query: i === 0 ? "SELECT 1 AS n, :since AS since, '{{workflow.name}}' AS literal" : `SELECT * FROM ${all[i - 1]}`,
        input_datasets: i === 0 ? [] : [all[i - 1]],
        output_datasets: [step],
        job_type: i === 0 ? 'extract' : i === all.length - 1 ? 'load' : 'data-transform',
      },
    })),
  });

  const define = async (name: string) => {
    const res = await request(app).post(`${base}/pipelines`).set(auth).send(managedDefinition(name));
    expect([res.status, res.body.error]).toEqual([201, undefined]);
    return res.body.id as string;
  };

  /** The run once finished, through rounds of the server's long poll. */
  const finished = async (runId: string) => {
    for (let round = 0; round < 8; round++) {
      const res = await request(app).get(`${base}/runs/${runId}?wait_seconds=15`).set(auth).expect(200);
      if (TERMINAL.includes(res.body.status)) return res.body;
    }
    throw new Error(`run ${runId} did not finish`);
  };

  it('checks a new connector against its server and creates none that the server refuses or that cannot be reached', async () => {
    const config = (over: object) => ({
      base_url: stub.url,
      namespace: stub.namespace,
      token: stub.token,
      warehouse_secret: { name: 'warehouse', key: 'url' },
      ...over,
    });
    const refused = await request(app)
      .post('/api/v1.0/spaces/data/connectors')
      .set(auth)
      .send({ name: 'argo-wrong', type: 'argo', config: config({ token: 'not-the-token' }) });
    expect([refused.status, refused.body.error.code]).toEqual([502, 'PROVIDER_AUTH_FAILED']);
    const unreachable = await request(app)
      .post('/api/v1.0/spaces/data/connectors')
      .set(auth)
      .send({ name: 'argo-gone', type: 'argo', config: config({ base_url: 'http://127.0.0.1:9' }) });
    expect(unreachable.status).toBe(503);
    const names = (await request(app).get('/api/v1.0/spaces/data/connectors').set(auth).expect(200)).body.map((c: { name: string }) => c.name);
    expect(names).toEqual(['argo-prod']);
    expect(stub.requests.filter((r) => r.path === '/api/v1/version').length).toBeGreaterThanOrEqual(2);
  });

  it('checks the connection and syncs templates and cron workflows as pipelines, workflows as runs', async () => {
    const check = await request(app).post(`/api/v1.0/spaces/data/connectors/${connectorId}/check`).set(auth).expect(200);
    expect(check.body).toMatchObject({ name: 'argo' });
    const sync = await request(app).post(`${base}/connectors/${connectorId}/sync?wait=true`).set(auth).expect(200);
    expect(sync.body).toMatchObject({ status: 'succeeded', counts: { pipelines: 6 } });
    const list = await request(app).get(`${base}/pipelines?per_page=100&provider=argo`).set(auth).expect(200);
    expect(list.body).toHaveLength(6);
  });

  it('runs a managed pipeline as one Workflow named by the run, its steps followed to Succeeded', async () => {
    const pipelineId = await define('orders-daily');
    const trigger = await request(app)
      .post(`${base}/pipelines/${pipelineId}/trigger`)
      .set(auth)
      .send({ variables: { since: '2026-02-01' } });
    expect(trigger.status).toBe(201);
    const run = await finished(trigger.body.id);
    expect(run).toMatchObject({ status: 'success', engine: { type: 'argo' }, progress: { steps_done: 3, steps_total: 3 }, rows_loaded: 4 });
    const name = run.engine.metadata.name as string;
    expect(name).toMatch(/^signalbox-[0-9a-f]{32}$/);
    const wf = stub.data.get(stub.namespace, name);
    expect(wf && stub.data.labels(wf)['signalbox.io/run-id']).toBe(run.id);
    // The manifest holds no warehouse URL: the secret is referenced, never copied.
    const env = run.engine.manifest.spec.templates[1].container.env;
    expect(env).toContainEqual({ name: 'SIGNALBOX_WAREHOUSE_URL', valueFrom: { secretKeyRef: { name: 'warehouse', key: 'url' } } });
    expect(JSON.stringify(run.engine.manifest)).not.toContain('postgres://');
    const tasks = run.engine.manifest.spec.templates[0].dag.tasks.map((t: { name: string }) => t.name);
    expect(tasks).toEqual(['extract-orders', 'daily-totals', 'publish']);
    // The seed-3 dialect shows the same Workflow as `argo_manifest` and Argo's answer as `argo_metadata`.
    const seed3 = await request(app).get(`/pipelines/${pipelineId}/runs`).set('Api-key', KEY).expect(200);
    expect(seed3.body.find((r: { id: string }) => r.id === run.id)).toMatchObject({
      argo_manifest: { metadata: { name } },
      argo_metadata: { name, uid: expect.any(String), phase: 'Succeeded' },
    });
    const steps = (await request(app).get(`${base}/runs/${run.id}`).set(auth).expect(200)).body.task_runs;
    expect(steps.map((t: { task_id: string; status: string }) => [t.task_id, t.status])).toEqual([
      ['extract_orders', 'success'],
      ['daily_totals', 'success'],
      ['publish', 'success'],
    ]);
  });

  it('fails at the failing step, then a retry runs a new Workflow of the remaining steps', async () => {
    const pipelineId = await define('orders-retry');
    stub.taskOutcome = (_wf, task) => (task === 'daily-totals' ? 'Failed' : 'Succeeded');
    const trigger = await request(app).post(`${base}/pipelines/${pipelineId}/trigger`).set(auth).send({}).expect(201);
    const failed = await finished(trigger.body.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED', step: 'daily_totals' } });
    stub.taskOutcome = () => 'Succeeded';
    const retry = await request(app).post(`${base}/runs/${failed.id}/retry`).set(auth).send({}).expect(201);
    const again = await finished(retry.body.id);
    expect(again.status).toBe('success');
    const tasks = again.engine.manifest.spec.templates[0].dag.tasks.map((t: { name: string }) => t.name);
    expect(tasks).toEqual(['daily-totals', 'publish']);
    expect(again.engine.metadata.name).not.toBe(failed.engine.metadata.name);
  });

  it('cancels a running Workflow with stop', async () => {
    const pipelineId = await define('orders-cancel');
    // Steps that run until stopped, so the cancel always finds the Workflow running.
    stub.data.stepMs = 600_000;
    let run: { status: string; engine: { metadata: { name: string } } };
    try {
      const trigger = await request(app).post(`${base}/pipelines/${pipelineId}/trigger`).set(auth).send({}).expect(201);
      let submitted = false;
      for (let i = 0; i < 600 && !submitted; i++) {
        const now = (await request(app).get(`${base}/runs/${trigger.body.id}`).set(auth)).body;
        submitted = now.engine.manifest !== null && now.status === 'running';
        if (!submitted) await new Promise((r) => setTimeout(r, 25));
      }
      expect(submitted).toBe(true);
      await request(app).post(`${base}/runs/${trigger.body.id}/cancel`).set(auth).expect(202);
      run = await finished(trigger.body.id);
    } finally {
      stub.data.stepMs = 150;
    }
    expect(run).toMatchObject({ status: 'canceled', error: { code: 'RUN_CANCELED' } });
    expect(stub.requests.some((r) => r.method === 'PUT' && r.path.endsWith(`/${run.engine.metadata.name}/stop`))).toBe(true);
  });

  it('dry-runs with serverDryRun: validated by the server, nothing stored there', async () => {
    const pipelineId = await define('orders-dry');
    const before = stub.data.workflows.length;
    const trigger = await request(app).post(`${base}/pipelines/${pipelineId}/trigger`).set(auth).send({ dry_run: true }).expect(201);
    const run = await finished(trigger.body.id);
    expect(run).toMatchObject({ status: 'success', options: { dry_run: true }, engine: { metadata: { server_dry_run: true } } });
    expect(stub.data.workflows.length).toBe(before);
    expect(stub.requests.some((r) => r.method === 'POST' && (r.body as { serverDryRun?: boolean })?.serverDryRun === true)).toBe(true);
  });
});
