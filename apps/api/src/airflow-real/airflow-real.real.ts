import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AirflowStub, startAirflowStub } from '@signalbox/airflow-stub';
import { newConnector, type OrchestrationProvider } from '@signalbox/core';
import { apiRoutes, buildOpenApi } from '@signalbox/http-express';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import { airflowProviderFactory } from '@signalbox/provider-airflow';
import request from 'supertest';
import { buildContainer } from '../container';
import { testConfig } from '../test-support';
import { T } from '../tokens';
import { type Exchange, type RecordingProxy, startRecordingProxy } from './recording-proxy';
import { shapeDiff } from './shape';

/*
 * A real Airflow server (started by scripts/airflow/run.sh, which sets these variables), driven
 * through Signalbox's own API; then every request the adapter made is sent to the stub as well
 * and the two answers are compared by shape.
 */
const URL_ = process.env.AIRFLOW_REAL_URL ?? '';
const MAJOR = process.env.AIRFLOW_REAL_VERSION === '2' ? 2 : 3;
const USER = process.env.AIRFLOW_REAL_USER ?? 'admin';
const PASSWORD = process.env.AIRFLOW_REAL_PASSWORD ?? 'admin';
const DAGS = process.env.AIRFLOW_REAL_DAGS ?? '';
const API = MAJOR === 2 ? '/api/v1' : '/api/v2';
const DAG_IDS = ['sbx_cancel', 'sbx_doomed', 'sbx_fails', 'sbx_mapped', 'sbx_paused', 'sbx_slow', 'sbx_succeeds'];
/** Values that are users' data or Airflow's internals, compared only as values of one type. */
const FREE_FORM = ['conf', 'rendered_fields', 'params', 'executor_config', 'dag_version', 'bundle_version'];

interface TaskRunDto {
  task_id: string;
  map_index: number;
  status: string;
}
// biome-ignore lint/suspicious/noExplicitAny: Airflow's answers are read loosely, field by field.
type Json = any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks until `check` answers something other than undefined, every two seconds. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Airflow did not get there in time: ${what}`);
    await sleep(2000);
  }
}

interface TaskInstance {
  task_id: string;
  state: string | null;
  try_number: number;
  /** The task's process, on this machine (the test's Airflow runs here). */
  pid: number | null;
}

/** Calls the real Airflow directly (to check what Signalbox did there, or to change it). */
async function airflow(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  // Content-Type only with a body: Airflow 2 answers a bodiless JSON request (a DELETE) with 400.
  const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (MAJOR === 2) {
    headers.Authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  } else {
    const token = await fetch(`${URL_}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: USER, password: PASSWORD }),
    });
    headers.Authorization = `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
  }
  const res = await fetch(`${URL_}${API}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  try {
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  } catch {
    throw new Error(`Airflow answered ${method} ${path} with ${res.status} and a body that is not JSON: ${text.slice(0, 300)}`);
  }
}

const d = URL_ ? describe : describe.skip;
/** The operations this build serves: steps that need one it lacks are skipped. */
const document = buildOpenApi(apiRoutes()) as { paths: Record<string, Record<string, unknown>> };

d(`real Airflow ${MAJOR} through Signalbox's API`, () => {
  jest.setTimeout(400_000);
  const KEY = 'sbx_airflow_real_key_0123456789abcdefgh';
  const auth = { Authorization: `Bearer ${KEY}` };
  const base = '/api/v1.0/spaces/real/orchestration';
  let app: Parameters<typeof request>[0];
  let proxy: RecordingProxy;
  let close: () => Promise<void>;
  let connectorId: string;
  const pipelineIds: Record<string, string> = {};

  beforeAll(async () => {
    // Every DAG file parsed (the scheduler's first pass), before anything syncs.
    for (let i = 0; ; i++) {
      // One page is at most maximum_page_limit DAGs: the total says whether all are there.
      const dags = await airflow('GET', '/dags?limit=100').catch(() => undefined);
      if (dags?.status === 200 && dags.json.total_entries >= DAG_IDS.length) break;
      if (i > 90) throw new Error(`Airflow did not list the test DAGs in time: ${JSON.stringify(dags?.json).slice(0, 300)}`);
      await sleep(2000);
    }
    proxy = await startRecordingProxy(URL_);
    const config = testConfig({ inMemoryDatabase: true, secretKey: 'airflow-real-secret-0123456789', airflowTimeoutMs: 30_000, workerPollMs: 50 });
    const c = buildContainer(config);
    const db = await c.getAsync(T.database);
    await migrateToLatest(db.db);
    await (await c.getAsync(T.services)).access.bootstrapAdminKey(KEY);
    app = await c.getAsync(T.app);
    // Syncs run on the background worker, as in the API process.
    const worker = await c.getAsync(T.worker);
    worker.start();
    close = async () => {
      await worker.stop();
      await db.close();
      config.cleanup();
    };
    await request(app).post('/api/v1.0/spaces').set(auth).send({ slug: 'real', name: 'Real' }).expect(201);
    const created = await request(app)
      .post('/api/v1.0/spaces/real/connectors')
      .set(auth)
      // Manual syncs only: the test decides when Signalbox looks.
      .send({ name: `airflow-${MAJOR}`, type: 'airflow', config: { base_url: proxy.url, username: USER, password: PASSWORD }, sync_interval_seconds: null })
      .expect(201);
    connectorId = created.body.id;
  });

  afterAll(async () => {
    // AIRFLOW_REAL_RECORD=file keeps every exchange with the real server, to read what it answered.
    if (process.env.AIRFLOW_REAL_RECORD && proxy) writeFileSync(process.env.AIRFLOW_REAL_RECORD, JSON.stringify(proxy.exchanges, null, 1));
    await close?.();
    await proxy?.close();
  });

  const sync = async () => {
    const res = await request(app).post(`${base}/connectors/${connectorId}/sync?wait=true`).set(auth);
    expect([res.status, res.body.status, res.body.error]).toEqual([200, 'succeeded', null]);
    return res.body;
  };
  const pipeline = async (dagId: string) => (await request(app).get(`${base}/pipelines/${pipelineIds[dagId]}`).set(auth).expect(200)).body;
  const trigger = (dagId: string, key: string, body: object = {}) =>
    request(app).post(`${base}/pipelines/${pipelineIds[dagId]}/trigger`).set(auth).set('Idempotency-Key', key).send(body);
  /** Syncs until Signalbox sees the run finished in Airflow, and answers it with its task runs. */
  const finished = async (runId: string) => {
    for (let i = 0; i < 60; i++) {
      await sync();
      const run = (await request(app).get(`${base}/runs/${runId}`).set(auth).expect(200)).body;
      if (run.status === 'success' || run.status === 'failed') return run;
      await sleep(3000);
    }
    throw new Error(`run ${runId} did not finish in Airflow in time`);
  };
  /**
   * The exchanges Airflow acted on. Tokens live 5 s on the test server, so any request may first be
   * refused with 401 and asked again with a renewed token: those refusals are about credentials.
   */
  const answered = () => proxy.exchanges.filter((e) => e.status !== 401);
  const has = (method: string, suffix: string) =>
    Object.entries(document.paths).some(([path, ops]) => path.endsWith(suffix) && Object.keys(ops).includes(method));

  it('checks the connector: the version is detected', async () => {
    const res = await request(app).post(`/api/v1.0/spaces/real/connectors/${connectorId}/check`).set(auth).expect(200);
    expect(res.body).toMatchObject({ name: 'airflow', api_version: MAJOR === 2 ? 'v1' : 'v2' });
    expect(res.body.version).toMatch(MAJOR === 2 ? /^2\./ : /^3\./);
  });

  it('syncs every DAG, paging past maximum_page_limit', async () => {
    const s = await sync();
    expect(s.counts.pipelines).toBe(DAG_IDS.length);
    const list = (await request(app).get(`${base}/pipelines?per_page=100`).set(auth).expect(200)).body as { id: string; external_id: string }[];
    for (const p of list) pipelineIds[p.external_id] = p.id;
    expect(Object.keys(pipelineIds).sort()).toEqual(DAG_IDS);
    // maximum_page_limit is 4 on the test server: the adapter asked for more and went on by offset.
    expect(proxy.exchanges.some((e) => /[?&]offset=[1-9]/.test(e.url))).toBe(true);
    const paused = await pipeline('sbx_paused');
    expect(paused).toMatchObject({ status: 'paused', schedule: '0 3 * * *', owner: 'signalbox' });
    expect(paused.tags.sort()).toEqual(['signalbox', 'test']);
    expect(await pipeline('sbx_succeeds')).toMatchObject({ status: 'active', description: 'Signalbox real-peer test: succeeds' });
  });

  const runIds: Record<string, string> = {};

  it('triggers with an Idempotency-Key; the retry returns the same run and Airflow has exactly one', async () => {
    const first = await trigger('sbx_succeeds', 'real-once', { conf: { source: 'signalbox' }, note: 'from the real-peer test' });
    expect(first.status).toBe(201);
    const again = await trigger('sbx_succeeds', 'real-once', { conf: { source: 'signalbox' }, note: 'from the real-peer test' });
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    runIds.sbx_succeeds = first.body.id;
    const runs = await airflow('GET', '/dags/sbx_succeeds/dagRuns');
    expect(runs.json.total_entries).toBe(1);
    expect(runs.json.dag_runs[0].dag_run_id).toBe(first.body.external_id);
    const fails = await trigger('sbx_fails', 'real-fails');
    expect(fails.status).toBe(201);
    runIds.sbx_fails = fails.body.id;
  });

  it('recovers a trigger whose answer was lost: the retry finds the run Airflow made, and Airflow has one', async () => {
    // The answer lost is one Airflow acted on: tokens live 5 s here, so a 401 may come first.
    proxy.loseNextAnswer((method, url, status) => method === 'POST' && url.includes('/dags/sbx_mapped/dagRuns') && status !== 401);
    const lost = await trigger('sbx_mapped', 'real-mapped');
    expect([lost.status, lost.body.error.code]).toEqual([503, 'PROVIDER_UNREACHABLE']);
    const retried = await trigger('sbx_mapped', 'real-mapped');
    expect([200, 201]).toContain(retried.status);
    runIds.sbx_mapped = retried.body.id;
    const runs = await airflow('GET', '/dags/sbx_mapped/dagRuns');
    expect(runs.json.total_entries).toBe(1);
    expect(runs.json.dag_runs[0].dag_run_id).toBe(retried.body.external_id);
    // The adapter asked Airflow twice (the second answered 409) and then read the run.
    const asked = answered()
      .filter((e) => e.url.includes('/dags/sbx_mapped/dagRuns'))
      .map((e) => `${e.method} ${e.status}`);
    expect(asked).toEqual(['POST 200', 'POST 409', 'GET 200']);
  });

  it('follows the runs to their end: run and task states as Airflow left them', async () => {
    const ok = await finished(runIds.sbx_succeeds);
    expect(ok).toMatchObject({ status: 'success', native_status: 'success', run_type: 'manual', conf: { source: 'signalbox' } });
    expect(ok.task_runs.map((t: TaskRunDto) => [t.task_id, t.status]).sort()).toEqual([
      ['extract', 'success'],
      ['load', 'success'],
    ]);
    const failed = await finished(runIds.sbx_fails);
    expect(failed.status).toBe('failed');
    expect(failed.task_runs.map((t: TaskRunDto) => [t.task_id, t.status]).sort()).toEqual([
      ['after', 'upstream_failed'],
      ['boom', 'failed'],
    ]);
    expect((await pipeline('sbx_fails')).status).toBe('error');
    const mapped = await finished(runIds.sbx_mapped);
    expect(mapped.status).toBe('success');
    expect(mapped.task_runs.map((t: TaskRunDto) => [t.task_id, t.map_index, t.status]).sort()).toEqual([
      ['square', 0, 'success'],
      ['square', 1, 'success'],
      ['square', 2, 'success'],
    ]);
  });

  it('sees a pause and an unpause', async () => {
    // Through Signalbox when it has the endpoint, else in Airflow (then Signalbox must see it).
    const viaSignalbox = has('patch', '/pipelines/{pipeline_id}/paused');
    const setPaused = async (paused: boolean) => {
      if (viaSignalbox) await request(app).patch(`${base}/pipelines/${pipelineIds.sbx_succeeds}/paused`).set(auth).send({ paused }).expect(200);
      else expect((await airflow('PATCH', '/dags/sbx_succeeds', { is_paused: paused })).status).toBe(200);
    };
    await setPaused(true);
    expect((await airflow('GET', '/dags/sbx_succeeds')).json.is_paused).toBe(true);
    await sync();
    expect(await pipeline('sbx_succeeds')).toMatchObject({ status: 'paused' });
    await setPaused(false);
    await sync();
    expect(await pipeline('sbx_succeeds')).toMatchObject({ status: 'active' });
  });

  it('marks a DAG deleted in Airflow removed, keeping its history', async () => {
    rmSync(join(DAGS, 'sbx_doomed.py'), { force: true });
    expect((await airflow('DELETE', '/dags/sbx_doomed')).status).toBe(204);
    const s = await sync();
    expect(s.counts.removed_pipelines).toBe(1);
    const gone = await pipeline('sbx_doomed');
    expect(gone.removed_at).not.toBeNull();
    const list = (await request(app).get(`${base}/pipelines?per_page=100`).set(auth).expect(200)).body as { id: string; external_id: string }[];
    expect(list.map((p) => p.external_id)).not.toContain('sbx_doomed');
  });

  describe('the provider itself: cancel and retry', () => {
    // The provider over the same proxy as the API, so the differential check replays its calls too.
    let provider: OrchestrationProvider;
    beforeAll(() => {
      const factory = airflowProviderFactory({ timeoutMs: 30_000 });
      const config = factory.checkConfig({ base_url: proxy.url, username: USER, password: PASSWORD });
      provider = factory.create(newConnector({ id: 'real-provider', spaceId: 'real', name: 'airflow', type: 'airflow', config }, new Date()));
    });
    /** The run's task instances in Airflow, by task id, read directly (not through the proxy). */
    const tasks = async (dagId: string, runId: string): Promise<Record<string, TaskInstance>> => {
      const res = await airflow('GET', `/dags/${dagId}/dagRuns/${runId}/taskInstances`);
      expect(res.status).toBe(200);
      return Object.fromEntries((res.json.task_instances as TaskInstance[]).map((t) => [t.task_id, t]));
    };
    const runState = async (dagId: string, runId: string) => (await airflow('GET', `/dags/${dagId}/dagRuns/${runId}`)).json.state as string;
    const holding = (runId: string) =>
      until(`sbx_cancel ${runId}: hold running`, async () => ((await tasks('sbx_cancel', runId)).hold?.state === 'running' ? true : undefined));
    const cleared = (state: string | null) => [null, 'scheduled', 'queued', 'running'].includes(state);
    /** The process of the cancelled task. */
    let cancelledPid: number | null = null;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };

    it('cancelRun marks a running run failed in Airflow: the running task failed, the one after it skipped', async () => {
      const runId = 'signalbox__real_cancel';
      await provider.trigger('sbx_cancel', { runId, conf: null, note: null, logicalDate: null });
      await holding(runId);
      const run = await provider.cancelRun('sbx_cancel', runId);
      expect(run).toMatchObject({ externalId: runId, status: 'failed', nativeStatus: 'failed' });
      expect(run.finishedAt).not.toBeNull();
      expect(await runState('sbx_cancel', runId)).toBe('failed');
      const after = await tasks('sbx_cancel', runId);
      expect([after.hold.state, after.after.state]).toEqual(['failed', 'skipped']);
      cancelledPid = after.hold.pid;
      const patched = answered().filter((e) => e.method === 'PATCH' && e.url.includes(`/dagRuns/${runId}`));
      expect(patched.map((e) => [e.status, e.requestBody])).toEqual([[200, '{"state":"failed"}']]);
    });

    it('retryRun clears the cancelled run: the failed task and the skipped one after it run again, with the next try', async () => {
      const runId = 'signalbox__real_cancel';
      // Airflow 2 stops a task marked failed at its LocalTaskJob's second heartbeat after the mark
      // (~10 s); if the task was cleared by then, the dying process records its own failure on it
      // and the retry is undone (seen here: the cleared task failed again on its old try). So wait
      // for that process to end. Airflow 3 gives a cleared task instance a new id, which the old
      // process cannot touch: there the retry follows the cancel at once.
      if (MAJOR === 2) {
        expect(cancelledPid).toEqual(expect.any(Number));
        await until('the cancelled task has stopped', async () => (alive(cancelledPid!) ? undefined : true), 60_000);
      }
      const before = await tasks('sbx_cancel', runId);
      const run = await provider.retryRun('sbx_cancel', runId);
      expect(run.externalId).toBe(runId);
      expect(['queued', 'running']).toContain(run.status);
      expect(['queued', 'running']).toContain(await runState('sbx_cancel', runId));
      const now = await tasks('sbx_cancel', runId);
      // Cleared by task id with what is downstream: the skipped task too, which only_failed would leave.
      expect([cleared(now.hold.state), cleared(now.after.state)]).toEqual([true, true]);
      const clear = answered().find((e) => e.method === 'POST' && e.url.endsWith('/dags/sbx_cancel/clearTaskInstances'))!;
      expect(clear.status).toBe(200);
      expect(JSON.parse(clear.requestBody)).toMatchObject({
        dag_run_id: runId,
        task_ids: ['hold'],
        include_downstream: true,
        only_failed: false,
        dry_run: false,
      });
      expect(((clear.body as Json).task_instances as TaskInstance[]).map((t) => t.task_id).sort()).toEqual(['after', 'hold']);
      // It runs again, one try later; then the second cancel frees the executor for what follows.
      await holding(runId);
      expect((await tasks('sbx_cancel', runId)).hold.try_number).toBe(before.hold.try_number + 1);
      expect((await provider.cancelRun('sbx_cancel', runId)).status).toBe('failed');
    });

    it('retryRun runs a failed task and its upstream_failed downstream again; the failing task fails again on its next try', async () => {
      const runId = 'signalbox__real_retry';
      await provider.trigger('sbx_fails', { runId, conf: null, note: null, logicalDate: null });
      await until('sbx_fails failed', async () => ((await runState('sbx_fails', runId)) === 'failed' ? true : undefined));
      const before = await tasks('sbx_fails', runId);
      expect([before.boom.state, before.after.state]).toEqual(['failed', 'upstream_failed']);
      const run = await provider.retryRun('sbx_fails', runId);
      expect(['queued', 'running']).toContain(run.status);
      const now = await tasks('sbx_fails', runId);
      expect([cleared(now.boom.state), cleared(now.after.state)]).toEqual([true, true]);
      await until('sbx_fails failed again', async () => ((await runState('sbx_fails', runId)) === 'failed' ? true : undefined));
      const again = await tasks('sbx_fails', runId);
      expect([again.boom.state, again.after.state]).toEqual(['failed', 'upstream_failed']);
      expect(again.boom.try_number).toBe(before.boom.try_number + 1);
      // A run with nothing failed is left as it is: sbx_succeeds' run is not cleared.
      const ok = (await airflow('GET', '/dags/sbx_succeeds/dagRuns')).json.dag_runs[0];
      const clears = proxy.exchanges.filter((e) => e.url.includes('/clearTaskInstances')).length;
      expect((await provider.retryRun('sbx_succeeds', ok.dag_run_id)).status).toBe('success');
      expect(proxy.exchanges.filter((e) => e.url.includes('/clearTaskInstances'))).toHaveLength(clears);
    });

    it('says RUN_NOT_FOUND for a run Airflow does not have', async () => {
      for (const call of [provider.cancelRun('sbx_fails', 'no_such_run'), provider.retryRun('sbx_fails', 'no_such_run')]) {
        await expect(call).rejects.toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND', provider: { status: 404 } });
      }
    });
  });

  it('sees a slow run running', async () => {
    const res = await trigger('sbx_slow', 'real-slow');
    expect(res.status).toBe(201);
    runIds.sbx_slow = res.body.id;
    for (let i = 0; i < 60; i++) {
      await sync();
      const run = (await request(app).get(`${base}/runs/${runIds.sbx_slow}`).set(auth).expect(200)).body;
      if (run.status === 'running' && run.task_runs.some((t: TaskRunDto) => t.status === 'running')) return;
      await sleep(2000);
    }
    throw new Error('the slow run was never seen running');
  });

  const cancelAndRetry = has('post', '/runs/{run_id}/cancel') && has('post', '/runs/{run_id}/retry') ? it : it.skip;
  cancelAndRetry('cancels the slow run (marked failed in Airflow) and retries it (cleared in Airflow)', async () => {
    const cancel = await request(app).post(`${base}/runs/${runIds.sbx_slow}/cancel`).set(auth);
    expect(cancel.status).toBe(202);
    const inAirflow = await airflow('GET', `/dags/sbx_slow/dagRuns/${cancel.body.external_id}`);
    expect(inAirflow.json.state).toBe('failed');
    const retry = await request(app).post(`${base}/runs/${runIds.sbx_slow}/retry`).set(auth).send({});
    expect(retry.status).toBe(201);
  });

  if (MAJOR === 3) {
    it('renews its short-lived JWT and goes on', async () => {
      // Tokens live 5 s on the test server (no leeway): the next sync finds its token expired.
      await sleep(7000);
      await sync();
      const tokens = proxy.exchanges.filter((e) => e.method === 'POST' && e.url.startsWith('/auth/token'));
      const refused = proxy.exchanges.filter((e) => e.status === 401);
      expect(tokens.length).toBeGreaterThanOrEqual(2);
      expect(refused.length).toBeGreaterThanOrEqual(1);
    });
  }

  describe('the stub against the real server (differential check)', () => {
    let stub: AirflowStub;
    afterAll(async () => stub?.close());

    it('answers every request the adapter made with documents of the same shape', async () => {
      stub = await startAirflowStub({ apiVersion: MAJOR === 2 ? 'v1' : 'v2', seed: 3, dags: 4, runs: 30, taskInstances: 90, maximumPageLimit: 4 });
      // With the test DAGs' graphs, so that a clear with downstream tasks picks what Airflow picks.
      const downstream: Record<string, Record<string, string[]>> = { sbx_cancel: { hold: ['after'] }, sbx_fails: { boom: ['after'] } };
      for (const id of DAG_IDS) stub.data.addDag(id, { downstream: downstream[id] ?? {} });
      let stubAuth = 'Basic YWRtaW46YWRtaW4='; // admin:admin, the stub's default user
      if (MAJOR === 3) {
        const t = await fetch(`${stub.url}/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"username":"admin","password":"admin"}',
        });
        stubAuth = `Bearer ${((await t.json()) as { access_token: string }).access_token}`;
      }
      const drift: string[] = [];
      const compared = new Set<string>();
      for (const e of proxy.exchanges as Exchange[]) {
        // A refused expired token and the token endpoint itself are about credentials, not documents.
        if (e.status === 401 || e.url.startsWith('/auth/token')) continue;
        // The stub's copy of a run has no task instances: give it the ones Airflow cleared, as failed.
        const clearOf = /\/dags\/([^/]+)\/clearTaskInstances$/.exec(e.url.split('?')[0]);
        if (clearOf && e.status === 200) {
          const runId = JSON.parse(e.requestBody).dag_run_id as string;
          for (const t of (e.body as Json).task_instances as { task_id: string; map_index?: number }[]) {
            stub.data.setTaskState(clearOf[1], runId, t.task_id, 'failed', t.map_index ?? -1);
          }
        }
        const headers: Record<string, string> = { Authorization: stubAuth };
        if (e.requestHeaders['content-type']) headers['Content-Type'] = String(e.requestHeaders['content-type']);
        const res = await fetch(`${stub.url}${e.url}`, { method: e.method, headers, ...(e.requestBody ? { body: e.requestBody } : {}) });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        const what = `${e.method} ${e.url
          .split('?')[0]
          .replace(/\/dags\/[^/]+/, '/dags/{dag}')
          .replace(/\/dagRuns\/[^/]+/, '/dagRuns/{run}')}`;
        compared.add(what);
        if (res.status !== e.status) {
          drift.push(`${what}: status ${e.status} (Airflow) vs ${res.status} (stub)`);
          continue;
        }
        // A clear must pick what Airflow picked (the shapes alone would pass an empty answer).
        const count = (x: unknown) => ((x as Json)?.task_instances ?? []).length;
        if (clearOf && count(e.body) !== count(body)) drift.push(`${what}: Airflow cleared ${count(e.body)} task instances, the stub ${count(body)}`);
        for (const line of shapeDiff(e.body, body, { freeForm: FREE_FORM }))
          drift.push(`${what} ${e.status}: ${line.replace('only in the first', 'only in Airflow').replace('only in the second', 'only in the stub')}`);
      }
      process.stdout.write(`compared ${compared.size} kinds of request:\n  ${[...compared].sort().join('\n  ')}\n`);
      expect([...new Set(drift)]).toEqual([]);
    });
  });
});
