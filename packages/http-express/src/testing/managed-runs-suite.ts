import { type Services, type StepStatement, WarehouseError, type WarehouseTarget } from '@signalbox/core';
import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../app';
import { OpenApiChecker } from './openapi-check';

const TERMINAL = ['success', 'failed', 'canceled'];

/** What a step does when the engine runs it: its rows, a failure, or a wait until its gate opens (or the run is stopped). */
export interface StepBehaviour {
  rows?: number;
  fail?: WarehouseError;
  gate?: Promise<void>;
}

/** The warehouse the engine runs on, told by the test what each step (by name) does; it records what it was asked. */
export interface WarehouseControl {
  step(name: string, behaviour: StepBehaviour): unknown;
  /** Every statement executed for the step of that name, in order. */
  executed(step: string): StepStatement[];
  readonly calls: readonly { target: WarehouseTarget; step: StepStatement }[];
}

export interface ManagedRunsHarness {
  /** Services with an engine, and a worker running its jobs (and syncs). */
  services: Services;
  warehouse: WarehouseControl;
  /**
   * An orchestrator connector to create in the space: once synced it has a run still running and a
   * run that failed, and it cancels (marks failed) and retries (clears) runs as Airflow does.
   */
  orchestrator: { type: string; config: Record<string, unknown> };
  close?(): Promise<void>;
}

const ROOT_KEY = 'sbx_test_root_key_runs_0123456789abcdefghijklm';
const BASE = '/api/v1.0';
const SLUG = 'runs';
const P = `spaces/${SLUG}/orchestration`;
/** The password written in the warehouse connector's URL, which must never come back. */
const WAREHOUSE_PASSWORD = 'wh-s3cret';

type Role = 'root' | 'editor' | 'viewer' | 'outsider';

interface StepDef {
  name: string;
  query?: string;
  job_type?: 'extract' | 'data-transform' | 'load';
}

/**
 * A definition in the steps shape whose steps run one after the other: each reads the dataset of
 * the one before (the first reads nothing), and writes a dataset named after itself.
 */
const definition = (name: string, steps: StepDef[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name,
    ...extra,
    steps: steps.map((s, i) => ({
      name: s.name,
      config: {
        query_type: 'sql',
        query: s.query ?? (i === 0 ? 'SELECT 1 AS n' : `SELECT * FROM ${steps[i - 1].name}`),
        input_datasets: i === 0 ? [] : [steps[i - 1].name],
        output_datasets: [s.name],
        job_type: s.job_type ?? (i === 0 ? 'extract' : i === steps.length - 1 ? 'load' : 'data-transform'),
      },
    })),
  });

/** A promise the test resolves when a waiting step may finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs of managed pipelines over HTTP, on a wiring whose engine runs steps on a controllable
 * warehouse: trigger options (given, defaulted, refused by field), the run and task run fields on
 * the wire, `wait_seconds`, cancel and retry of managed runs, a warehouse connector's target, and
 * cancel and retry of synced runs through their orchestrator. Every answer is checked against the
 * OpenAPI document.
 */
export function managedRunsApiSuite(label: string, setup: () => Promise<ManagedRunsHarness>): void {
  describe(`managed runs over HTTP (${label})`, () => {
    jest.setTimeout(150_000);
    let h: ManagedRunsHarness;
    let app: Express;
    let openapi: OpenApiChecker;
    const keys = {} as Record<Role, string>;
    let warehouseConnectorId: string;

    const call = async (role: Role, method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const path = `${BASE}/${url}`;
      let r = request(app)[method](path).set('Authorization', `Bearer ${keys[role]}`);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      const res = body === undefined ? await r : await r.send(body as object);
      if (res.status >= 400) openapi.checkError(res.body);
      openapi.check(method, path, res.status, res.status === 204 ? undefined : res.body);
      return res;
    };
    const create = async (text: string) => {
      const res = await request(app)
        .post(`${BASE}/${P}/pipelines`)
        .set('Authorization', `Bearer ${keys.editor}`)
        .set('Content-Type', 'application/json')
        .send(text);
      expect([res.status, res.body.error]).toEqual([201, undefined]);
      return res.body;
    };
    const trigger = async (pipelineId: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      call('editor', 'post', `${P}/pipelines/${pipelineId}/trigger`, body, headers);
    /** The run once it has finished (the server's own long poll), failing the test if it does not. */
    const finished = async (runId: string) => {
      // Rounds of the long poll, so a slow machine gets two minutes before the test gives up.
      let res = await call('viewer', 'get', `${P}/runs/${runId}?wait_seconds=30`);
      for (let round = 1; round < 4 && res.status === 200 && !TERMINAL.includes(res.body.status); round++) {
        res = await call('viewer', 'get', `${P}/runs/${runId}?wait_seconds=30`);
      }
      expect([res.status, TERMINAL.includes(res.body.status)]).toEqual([200, true]);
      return res.body;
    };
    /** Polls the run until `check` holds. */
    const until = async (runId: string, check: (run: any) => boolean) => {
      for (let i = 0; i < 400; i++) {
        const run = (await call('viewer', 'get', `${P}/runs/${runId}`)).body;
        if (check(run)) return run;
        await sleep(25);
      }
      throw new Error(`run ${runId} never reached the state`);
    };
    const byTask = (run: any) => Object.fromEntries(run.task_runs.map((t: any) => [t.task_id, t]));

    beforeAll(async () => {
      h = await setup();
      app = buildApp(h.services, { ready: async () => {}, bodyLimit: '64kb' });
      openapi = new OpenApiChecker((await request(app).get('/openapi.json').expect(200)).body);
      await h.services.access.bootstrapAdminKey(ROOT_KEY);
      keys.root = ROOT_KEY;
      await call('root', 'post', 'spaces', { slug: SLUG, name: 'Runs' });
      await call('root', 'post', 'spaces', { slug: 'other-runs', name: 'Other' });
      for (const role of ['editor', 'viewer', 'outsider'] as const) {
        const user = await call('root', 'post', 'users', { email: `runs-${role}@example.com`, name: role });
        keys[role] = (await call('root', 'post', `users/${user.body.id}/api-keys`, { name: 'test' })).body.key;
        await call('root', 'put', `spaces/${role === 'outsider' ? 'other-runs' : SLUG}/members/${user.body.id}`, {
          role: role === 'outsider' ? 'admin' : role,
        });
      }
      const wh = await call('root', 'post', `spaces/${SLUG}/connectors`, {
        name: 'wh',
        type: 'warehouse',
        config: { url: `postgres://loader:${WAREHOUSE_PASSWORD}@warehouse.example.com:5432/analytics` },
      });
      expect(wh.status).toBe(201);
      warehouseConnectorId = wh.body.id;
    }, 120_000);

    afterAll(async () => {
      await h?.close?.();
    });

    describe('trigger', () => {
      it('queues a run with its options, defaults filled in, and runs it: run, progress and steps on the wire', async () => {
        const p = await create(
          definition(
            'orders',
            [
              { name: 't1_orders', query: 'SELECT id FROM generate_series(1, :max_id) AS id WHERE :since IS NOT NULL' },
              { name: 't1_daily' },
              { name: 't1_load' },
            ],
            {
              variables: { since: '2026-01-01', max_id: 10 },
            },
          ),
        );
        h.warehouse.step('t1_orders', { rows: 5 });
        h.warehouse.step('t1_daily', { rows: 4 });
        h.warehouse.step('t1_load', { rows: 3 });
        const res = await trigger(p.id, { variables: { max_id: 20 }, note: 'first' });
        expect(res.status).toBe(201);
        expect(res.headers.location).toBe(`${BASE}/${P}/runs/${res.body.id}`);
        expect(res.body).toMatchObject({
          pipeline_id: p.id,
          origin: 'managed',
          connector_id: null,
          status: 'queued',
          run_type: 'manual',
          note: 'first',
          conf: null,
          pipeline_version_id: p.current_version.id,
          options: { full_refresh: false, dry_run: false, variables: { since: '2026-01-01', max_id: 20 }, from_step: null },
          progress: { stage: 'queued', step: null, rows_processed: 0, steps_done: 0, steps_total: 3 },
          rows_loaded: null,
          engine: { type: 'embedded', manifest: null, metadata: null },
          error: null,
          cancel_requested_at: null,
        });

        const done = await finished(res.body.id);
        expect(done).toMatchObject({
          status: 'success',
          progress: { stage: 'load', step: 't1_load', rows_processed: 12, steps_done: 3, steps_total: 3 },
          rows_loaded: 3,
          error: null,
        });
        expect(done.duration_ms).toEqual(expect.any(Number));
        expect(done.started_at).not.toBeNull();
        expect(done.finished_at).not.toBeNull();
        // Steps that started in the same millisecond are listed by name: compare them by name.
        const steps = [...done.task_runs].sort((a: any, b: any) => a.task_id.localeCompare(b.task_id));
        expect(steps.map((t: any) => [t.task_id, t.status, t.rows, t.error, t.plan, t.operator])).toEqual([
          ['t1_daily', 'success', 4, null, null, 'data-transform'],
          ['t1_load', 'success', 3, null, null, 'load'],
          ['t1_orders', 'success', 5, null, null, 'extract'],
        ]);
        // The variables reach the warehouse as bound values, never in the SQL text.
        const [statement] = h.warehouse.executed('t1_orders');
        expect(statement.params).toEqual(expect.arrayContaining([20, '2026-01-01']));
        expect(statement.sql).not.toMatch(/20|2026/);
        const listed = (await call('viewer', 'get', `${P}/pipelines/${p.id}/runs`)).body;
        expect(listed.map((r: any) => [r.id, r.origin, r.rows_loaded])).toEqual([[done.id, 'managed', 3]]);
        expect((await call('viewer', 'get', `${P}/pipelines/${p.id}`)).body).toMatchObject({ last_run_status: 'success', last_run: { id: done.id } });
      });

      it('refuses options the version cannot take, each named in snake_case', async () => {
        const p = await create(definition('refusals', [{ name: 't2_a' }, { name: 't2_b' }], { variables: { since: '2026-01-01' } }));
        const other = await create(definition('refusals-other', [{ name: 't2_c' }]));
        const cases: [Record<string, unknown>, string][] = [
          [{ variables: { since: '2026-02-01', nope: 1 } }, 'variables.nope'],
          [{ from_step: 't2_z' }, 'from_step'],
          [{ version_id: other.current_version.id }, 'version_id'],
          [{ conf: { a: 1 } }, 'conf'],
          [{ logical_date: '2026-01-15T00:00:00Z' }, 'logical_date'],
          [{ variables: { since: { nested: true } } }, 'variables.since'],
        ];
        for (const [body, field] of cases) {
          const res = await trigger(p.id, body);
          expect([field, res.status, res.body.error.details.map((d: any) => d.field)]).toEqual([field, 400, [field]]);
        }
        expect((await call('viewer', 'get', `${P}/pipelines/${p.id}/runs`)).body).toEqual([]);
      });

      it('runs an older version when asked, from a given step, and replays an Idempotency-Key (200), refusing it for another body (422)', async () => {
        const p = await create(definition('versions', [{ name: 't3_a' }, { name: 't3_b' }]));
        const v1 = p.current_version.id;
        const updated = await request(app)
          .put(`${BASE}/${P}/pipelines/${p.id}`)
          .set('Authorization', `Bearer ${keys.editor}`)
          .set('Content-Type', 'application/json')
          .send(definition('versions', [{ name: 't3_a', query: 'SELECT 2 AS n' }, { name: 't3_b' }]));
        expect(updated.status).toBe(201);
        const old = await trigger(p.id, { version_id: v1, from_step: 't3_b' }, { 'Idempotency-Key': 'versions-1' });
        expect(old.status).toBe(201);
        expect(old.body).toMatchObject({ pipeline_version_id: v1, options: { from_step: 't3_b' }, progress: { steps_total: 1 } });
        const replay = await trigger(p.id, { version_id: v1, from_step: 't3_b' }, { 'Idempotency-Key': 'versions-1' });
        expect([replay.status, replay.body.id]).toEqual([200, old.body.id]);
        const reused = await trigger(p.id, { version_id: v1 }, { 'Idempotency-Key': 'versions-1' });
        expect([reused.status, reused.body.error.code, reused.body.error.details[0].field]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key']);
        const done = await finished(old.body.id);
        expect(done.task_runs.map((t: any) => t.task_id)).toEqual(['t3_b']);
        expect(h.warehouse.executed('t3_a')).toEqual([]);
        const current = await trigger(p.id);
        expect(current.body.pipeline_version_id).toBe(updated.body.current_version.id);
        await finished(current.body.id);
      });

      it('plans a dry run: each step with its plan and estimated rows, nothing loaded', async () => {
        const p = await create(definition('dry', [{ name: 't4_a' }, { name: 't4_b' }]));
        h.warehouse.step('t4_a', { rows: 40 });
        h.warehouse.step('t4_b', { rows: 7 });
        const res = await trigger(p.id, { dry_run: true, full_refresh: true });
        expect(res.body.options).toMatchObject({ dry_run: true, full_refresh: true });
        const done = await finished(res.body.id);
        expect(done).toMatchObject({ status: 'success', rows_loaded: null, options: { dry_run: true } });
        const steps = byTask(done);
        expect(steps.t4_a.plan).toEqual({ plan: expect.anything(), estimated_rows: 40 });
        expect(steps.t4_b.plan).toEqual({ plan: expect.anything(), estimated_rows: 7 });
        expect(h.warehouse.executed('t4_a')).toEqual([]);
      });

      it('runs on a warehouse connector, with its password; a pipeline whose warehouse is gone is 400 naming `warehouse`', async () => {
        const p = await create(definition('on-wh', [{ name: 't5_a' }], { warehouse: 'wh' }));
        const done = await finished((await trigger(p.id)).body.id);
        expect(done.status).toBe('success');
        const call5 = h.warehouse.calls.find((c) => c.step.step === 't5_a');
        expect(call5?.target).toEqual({
          kind: 'connector',
          spaceId: expect.any(String),
          connectorId: warehouseConnectorId,
          url: 'postgres://loader@warehouse.example.com:5432/analytics',
          password: WAREHOUSE_PASSWORD,
        });
        expect(JSON.stringify((await call('viewer', 'get', `spaces/${SLUG}/connectors/${warehouseConnectorId}`)).body)).not.toContain(WAREHOUSE_PASSWORD);

        const wh2 = await call('root', 'post', `spaces/${SLUG}/connectors`, {
          name: 'wh2',
          type: 'warehouse',
          config: { url: 'postgres://w@db.example.com/x' },
        });
        const q = await create(definition('gone-wh', [{ name: 't5_b' }], { warehouse: 'wh2' }));
        expect((await call('root', 'delete', `spaces/${SLUG}/connectors/${wh2.body.id}`)).status).toBe(204);
        const refused = await trigger(q.id);
        expect([refused.status, refused.body.error.details[0].field]).toEqual([400, 'warehouse']);
      });

      it('lets editors trigger, cancel and retry; viewers read; other spaces see nothing', async () => {
        const p = await create(definition('roles', [{ name: 't6_a' }]));
        const run = (await trigger(p.id)).body;
        await finished(run.id);
        for (const [role, status] of [
          ['viewer', 403],
          ['outsider', 404],
        ] as const) {
          expect((await call(role, 'post', `${P}/pipelines/${p.id}/trigger`, {})).status).toBe(status);
          expect((await call(role, 'post', `${P}/runs/${run.id}/cancel`)).status).toBe(status);
          expect((await call(role, 'post', `${P}/runs/${run.id}/retry`, {})).status).toBe(status);
        }
        expect((await call('outsider', 'get', `${P}/runs/${run.id}`)).status).toBe(404);
        expect((await call('outsider', 'get', `spaces/other-runs/orchestration/runs/${run.id}`)).status).toBe(404);
        expect((await call('viewer', 'get', `${P}/runs/${run.id}`)).status).toBe(200);
      });
    });

    describe('wait_seconds', () => {
      it('answers as soon as the run finishes, and with the run as it stands when the time runs out', async () => {
        const p = await create(definition('waited', [{ name: 't7_a' }, { name: 't7_b' }]));
        const held = gate();
        h.warehouse.step('t7_a', { rows: 2 });
        h.warehouse.step('t7_b', { rows: 1, gate: held.promise });
        const run = (await trigger(p.id)).body;
        await until(run.id, (r) => r.status === 'running' && r.progress.step === 't7_b');

        let started = Date.now();
        const running = await call('viewer', 'get', `${P}/runs/${run.id}?wait_seconds=1`);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(running.body).toMatchObject({ status: 'running', progress: { stage: 'load', step: 't7_b', rows_processed: 2, steps_done: 1, steps_total: 2 } });
        expect(byTask(running.body).t7_b).toMatchObject({ status: 'running', rows: null });

        started = Date.now();
        const waiting = call('viewer', 'get', `${P}/runs/${run.id}?wait_seconds=30`);
        await sleep(300);
        held.open();
        const done = await waiting;
        const elapsed = Date.now() - started;
        expect(done.body.status).toBe('success');
        expect(elapsed).toBeGreaterThanOrEqual(300);
        expect(elapsed).toBeLessThan(10_000);
      });
    });

    describe('cancel', () => {
      it('cancels a queued run at once and a running one through its engine; a finished run is 409 RUN_FINISHED', async () => {
        const p = await create(definition('cancelled', [{ name: 't8_a' }, { name: 't8_b' }], { max_active_runs: 1 }));
        const never = gate();
        h.warehouse.step('t8_a', { gate: never.promise });
        const first = (await trigger(p.id)).body;
        await until(first.id, (r) => r.status === 'running');
        // The pipeline runs one at a time: the second waits in the queue.
        const second = (await trigger(p.id)).body;
        await sleep(200);
        expect((await call('viewer', 'get', `${P}/runs/${second.id}`)).body.status).toBe('queued');

        const queued = await call('editor', 'post', `${P}/runs/${second.id}/cancel`);
        expect(queued.status).toBe(202);
        expect(queued.body).toMatchObject({ id: second.id, status: 'canceled', finished_at: expect.any(String) });

        const running = await call('editor', 'post', `${P}/runs/${first.id}/cancel`);
        expect(running.status).toBe(202);
        expect(running.body).toMatchObject({ id: first.id, status: 'running', cancel_requested_at: expect.any(String) });
        const done = await finished(first.id);
        expect(done).toMatchObject({ status: 'canceled', error: { code: 'RUN_CANCELED', step: 't8_a' } });
        expect(byTask(done).t8_a.status).toBe('failed');
        expect(byTask(done).t8_b.status).toBe('skipped');
        expect(h.warehouse.executed('t8_b')).toEqual([]);

        for (const id of [first.id, second.id]) {
          const again = await call('editor', 'post', `${P}/runs/${id}/cancel`);
          expect([again.status, again.body.error.code]).toEqual([409, 'RUN_FINISHED']);
        }
      });
    });

    describe('retry', () => {
      it('retries a failed run from its failed step as a new run (201), reusing what succeeded', async () => {
        const p = await create(
          definition('retried', [{ name: 't9_a', query: 'SELECT :day AS day' }, { name: 't9_b' }, { name: 't9_c' }], { variables: { day: '2026-01-01' } }),
        );
        h.warehouse.step('t9_a', { rows: 6 });
        h.warehouse.step('t9_b', { fail: new WarehouseError('STEP_FAILED', 'division by zero', '22012') });
        h.warehouse.step('t9_c', { rows: 2 });
        const first = await finished((await trigger(p.id, { variables: { day: '2026-02-01' } })).body.id);
        expect(first).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED', step: 't9_b', message: expect.stringContaining('division by zero') } });
        expect(Object.values(byTask(first)).map((t: any) => [t.task_id, t.status, t.rows, t.error])).toEqual([
          ['t9_a', 'success', 6, null],
          ['t9_b', 'failed', null, 'division by zero'],
          ['t9_c', 'upstream_failed', null, null],
        ]);

        const unknown = await call('editor', 'post', `${P}/runs/${first.id}/retry`, { from_step: 't9_z' });
        expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'from_step']);

        h.warehouse.step('t9_b', { rows: 3 });
        const retry = await call('editor', 'post', `${P}/runs/${first.id}/retry`, {});
        expect(retry.status).toBe(201);
        expect(retry.headers.location).toBe(`${BASE}/${P}/runs/${retry.body.id}`);
        expect(retry.body).toMatchObject({
          status: 'queued',
          origin: 'managed',
          pipeline_version_id: first.pipeline_version_id,
          options: { variables: { day: '2026-02-01' }, from_step: 't9_b' },
          progress: { steps_total: 2 },
        });
        expect(retry.body.id).not.toBe(first.id);
        const second = await finished(retry.body.id);
        expect(second).toMatchObject({ status: 'success', rows_loaded: 2 });
        expect(second.task_runs.map((t: any) => t.task_id)).toEqual(['t9_b', 't9_c']);
        expect(h.warehouse.executed('t9_a')).toHaveLength(1);

        const nothing = await call('editor', 'post', `${P}/runs/${second.id}/retry`);
        expect([nothing.status, nothing.body.error.code]).toEqual([409, 'RUN_SUCCEEDED']);
        const fromStart = await call('editor', 'post', `${P}/runs/${second.id}/retry`, { from_step: 't9_a' });
        expect([fromStart.status, fromStart.body.options.from_step, fromStart.body.progress.steps_total]).toEqual([201, 't9_a', 3]);
        await finished(fromStart.body.id);
      });

      it('refuses to retry a run that has not finished (409 RUN_NOT_FINISHED)', async () => {
        const p = await create(definition('unfinished', [{ name: 't10_a' }]));
        const held = gate();
        h.warehouse.step('t10_a', { gate: held.promise });
        const run = (await trigger(p.id)).body;
        const res = await call('editor', 'post', `${P}/runs/${run.id}/retry`, {});
        expect([res.status, res.body.error.code]).toEqual([409, 'RUN_NOT_FINISHED']);
        held.open();
        await finished(run.id);
      });
    });

    describe('synced runs', () => {
      it('cancels a running run in its orchestrator (marked failed, 202) and retries a failed one there (cleared, 200, the same run)', async () => {
        // Synced only when asked, so that no scheduled sync races the one below.
        const c = await call('root', 'post', `spaces/${SLUG}/connectors`, { name: 'orchestrator', ...h.orchestrator, sync_interval_seconds: null });
        expect(c.status).toBe(201);
        const sync = await call('root', 'post', `${P}/connectors/${c.body.id}/sync?wait=true`);
        expect([sync.status, sync.body.status]).toEqual([200, 'succeeded']);
        const pipelines = (await call('viewer', 'get', `${P}/pipelines?connector_id=${c.body.id}&per_page=500`)).body;
        const runs = (
          await Promise.all(
            pipelines.map(async (x: any) => (await call('viewer', 'get', `${P}/pipelines/${x.id}/runs?status=running,failed&per_page=500`)).body),
          )
        ).flat();
        const running = runs.find((r: any) => r.status === 'running');
        const failed = runs.find((r: any) => r.status === 'failed');
        expect([running?.origin, failed?.origin]).toEqual(['synced', 'synced']);

        const canceled = await call('editor', 'post', `${P}/runs/${running.id}/cancel`);
        expect(canceled.status).toBe(202);
        expect(canceled.body).toMatchObject({ id: running.id, status: 'failed', origin: 'synced' });
        expect((await call('viewer', 'get', `${P}/runs/${running.id}`)).body.status).toBe('failed');

        const retried = await call('editor', 'post', `${P}/runs/${failed.id}/retry`);
        expect(retried.status).toBe(201);
        expect(retried.body.id).toBe(failed.id);
        expect(['queued', 'running']).toContain(retried.body.status);
        expect(retried.headers.location).toMatch(new RegExp(`/runs/${failed.id}$`));
        const fromStep = await call('editor', 'post', `${P}/runs/${failed.id}/retry`, { from_step: 'extract' });
        expect([fromStep.status, fromStep.body.error.details[0].field]).toEqual([400, 'from_step']);
      });
    });
  });
}
