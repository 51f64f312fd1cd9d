import { type RunState, StubStore, type TaskState } from './data';
import { specValidator } from './openapi';
import { type AirflowStub, type ApiVersion, startAirflowStub } from './server';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

async function tokenFor(stub: AirflowStub, username = 'admin', password = 'admin'): Promise<string> {
  const res = await fetch(`${stub.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/** GETs or POSTs a path of the stub and checks the answer against the official spec. */
async function call(stub: AirflowStub, auth: string | undefined, method: string, path: string, specPath: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(stub.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  const errors = specValidator(stub.apiVersion).check(method, specPath, res.status, json);
  return { status: res.status, json, errors, headers: res.headers };
}

describe('the stub data', () => {
  it('is the same for the same seed and differs for another', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const a = new StubStore({ seed: 7, dags: 10, runs: 50, taskInstances: 200, now });
    const b = new StubStore({ seed: 7, dags: 10, runs: 50, taskInstances: 200, now });
    const c = new StubStore({ seed: 8, dags: 10, runs: 50, taskInstances: 200, now });
    expect(a.runs.map((r) => [r.runId, r.state, r.updatedAt])).toEqual(b.runs.map((r) => [r.runId, r.state, r.updatedAt]));
    expect(a.tasks.map((t) => t.id)).toEqual(b.tasks.map((t) => t.id));
    expect(c.runs.map((r) => r.state)).not.toEqual(a.runs.map((r) => r.state));
    expect(a.dags.size).toBe(10);
    expect(a.runs).toHaveLength(50);
    expect(a.tasks).toHaveLength(200);
  });

  it('keeps rows sorted by updated_at, and a change moves a row to the end with a later time', () => {
    const s = new StubStore({ seed: 3, dags: 4, runs: 40, taskInstances: 100 });
    const sorted = (xs: Array<{ updatedAt: number }>) => xs.every((x, i) => i === 0 || xs[i - 1].updatedAt <= x.updatedAt);
    expect(sorted(s.runs)).toBe(true);
    expect(sorted(s.tasks)).toBe(true);
    const victim = s.runs[3];
    const before = s.runs.at(-1)!.updatedAt;
    s.setRunState(victim.dagId, victim.runId, 'failed');
    expect(s.runs.at(-1)).toBe(victim);
    expect(victim.updatedAt).toBeGreaterThan(before);
    expect(victim.endDate).toBe(victim.updatedAt);
    expect(s.range(s.runs, { gte: before + 1 })).toEqual([victim]);
  });
});

describe.each<ApiVersion>(['v1', 'v2'])('the stub speaking %s', (version) => {
  let stub: AirflowStub;
  let auth: string;
  const p = version === 'v1' ? '/api/v1' : '/api/v2';
  // v1 spec paths are relative to /api/v1; v2 spec paths carry the prefix.
  const sp = (path: string) => (version === 'v1' ? path : `/api/v2${path}`);

  beforeAll(async () => {
    stub = await startAirflowStub({ apiVersion: version, seed: 11, dags: 30, runs: 300, taskInstances: 900, maximumPageLimit: 25 });
    auth = version === 'v1' ? basic('admin', 'admin') : `Bearer ${await tokenFor(stub)}`;
  });
  afterAll(() => stub.close());

  it('serves version and health without credentials, as the spec describes', async () => {
    const v = await call(stub, undefined, 'GET', `${p}/version`, sp('/version'));
    expect(v.status).toBe(200);
    expect(v.errors).toEqual([]);
    const h = await call(
      stub,
      undefined,
      'GET',
      version === 'v1' ? '/api/v1/health' : '/api/v2/monitor/health',
      version === 'v1' ? '/health' : '/api/v2/monitor/health',
    );
    expect(h.status).toBe(200);
    expect(h.errors).toEqual([]);
  });

  it('lists DAGs, runs and task instances in documents that match the official schemas', async () => {
    const dags = await call(stub, auth, 'GET', `${p}/dags?limit=25`, sp('/dags'));
    expect(dags.errors).toEqual([]);
    expect(dags.json.dags).toHaveLength(25);
    expect(dags.json.total_entries).toBe(30);
    const runs = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?limit=25&order_by=updated_at`, sp('/dags/{dag_id}/dagRuns'));
    expect(runs.errors).toEqual([]);
    expect(runs.json.total_entries).toBe(300);
    const tis = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns/~/taskInstances?limit=25`, sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'));
    expect(tis.errors).toEqual([]);
    expect(tis.json.total_entries).toBe(900);
    const one = runs.json.dag_runs[0];
    const got = await call(
      stub,
      auth,
      'GET',
      `${p}/dags/${one.dag_id}/dagRuns/${encodeURIComponent(one.dag_run_id)}`,
      sp('/dags/{dag_id}/dagRuns/{dag_run_id}'),
    );
    expect(got.errors).toEqual([]);
    expect(got.json).toEqual(one);
  });

  it('covers every run state, run type and many task states in documents that still match the schemas', async () => {
    const all = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns/~/taskInstances?limit=25&offset=0`, sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'));
    expect(all.errors).toEqual([]);
    const states = new Set(stub.data.tasks.map((t) => t.state));
    expect(states.size).toBeGreaterThanOrEqual(10);
    const run = stub.data.runs[0];
    for (const state of ['none', 'restarting', 'deferred', 'up_for_reschedule', null] as const)
      stub.data.setTaskState(run.dagId, run.runId, `t_${String(state)}`, state);
    const last = await call(
      stub,
      auth,
      'GET',
      `${p}/dags/~/dagRuns/~/taskInstances?limit=25&offset=${stub.data.tasks.length - 5}`,
      sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'),
    );
    expect(last.errors).toEqual([]);
    expect(last.json.task_instances.map((t: { state: unknown }) => t.state)).toEqual(
      version === 'v1' ? ['none', 'restarting', 'deferred', 'up_for_reschedule', null] : [null, 'restarting', 'deferred', 'up_for_reschedule', null],
    );
    const kinds = new Set(stub.data.runs.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['backfill', 'event', 'manual', 'scheduled']);
  });

  it('cuts limit to maximum_page_limit without saying so', async () => {
    const res = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?limit=1000&offset=290`, sp('/dags/{dag_id}/dagRuns'));
    expect(res.json.dag_runs).toHaveLength(10);
    const capped = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?limit=1000`, sp('/dags/{dag_id}/dagRuns'));
    expect(capped.json.dag_runs).toHaveLength(25);
    expect(capped.json.total_entries).toBe(300);
  });

  it('filters runs and task instances by updated_at_gte', async () => {
    const cut = stub.data.runs[200].updatedAt;
    const expected = stub.data.runs.filter((r) => r.updatedAt >= cut).length;
    const since = encodeURIComponent(new Date(cut).toISOString());
    const res = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?updated_at_gte=${since}&limit=5`, sp('/dags/{dag_id}/dagRuns'));
    expect(res.json.total_entries).toBe(expected);
    const t = await call(
      stub,
      auth,
      'GET',
      `${p}/dags/~/dagRuns/~/taskInstances?updated_at_gte=${since}&limit=5`,
      sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'),
    );
    expect(t.json.total_entries).toBe(stub.data.tasks.filter((x) => x.updatedAt >= cut).length);
  });

  it('triggers a run, refuses the same run id with 409, and both answers match the schemas', async () => {
    const dagId = stub.data.listDags()[0].dagId;
    const body =
      version === 'v1'
        ? { dag_run_id: `stub_${version}`, conf: { a: 1 }, note: 'hi' }
        : { dag_run_id: `stub_${version}`, logical_date: null, conf: { a: 1 }, note: 'hi' };
    const first = await call(stub, auth, 'POST', `${p}/dags/${dagId}/dagRuns`, sp('/dags/{dag_id}/dagRuns'), body);
    expect(first.status).toBe(200);
    expect(first.errors).toEqual([]);
    expect(first.json).toMatchObject({ dag_run_id: `stub_${version}`, state: 'queued', run_type: 'manual', conf: { a: 1 }, note: 'hi' });
    const again = await call(stub, auth, 'POST', `${p}/dags/${dagId}/dagRuns`, sp('/dags/{dag_id}/dagRuns'), body);
    expect(again.status).toBe(409);
    expect(again.errors).toEqual([]);
    if (version === 'v1') expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('answers bad input as the real API does: v1 400 problem JSON, v2 422 validation list', async () => {
    const dagId = stub.data.listDags()[0].dagId;
    const res = await call(stub, auth, 'POST', `${p}/dags/${dagId}/dagRuns`, sp('/dags/{dag_id}/dagRuns'), { dag_run_id: 'x', bogus: 1 });
    expect(res.status).toBe(version === 'v1' ? 400 : 422);
    expect(res.errors).toEqual([]);
    if (version === 'v2') expect(res.json.detail.map((d: { loc: string[] }) => d.loc.join('.')).sort()).toEqual(['body.bogus', 'body.logical_date']);
    const bad = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?updated_at_gte=yesterday`, sp('/dags/{dag_id}/dagRuns'));
    expect(bad.status).toBe(version === 'v1' ? 400 : 422);
    if (version === 'v2') expect(bad.errors).toEqual([]);
    const order = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns?order_by=nonsense`, sp('/dags/{dag_id}/dagRuns'));
    expect(order.status).toBe(400);
  });

  it('answers 404 for an unknown DAG or run, in the spec error shape', async () => {
    const res = await call(stub, auth, 'GET', `${p}/dags/nope/dagRuns/nope`, sp('/dags/{dag_id}/dagRuns/{dag_run_id}'));
    expect(res.status).toBe(404);
    expect(res.errors).toEqual([]);
    // The task instances of an unknown run: Airflow 3 says 404, Airflow 2.10 lists none.
    const tis = await call(stub, auth, 'GET', `${p}/dags/nope/dagRuns/nope/taskInstances`, sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'));
    expect([tis.status, tis.errors]).toEqual([version === 'v1' ? 200 : 404, []]);
    const trig = await call(stub, auth, 'POST', `${p}/dags/nope/dagRuns`, sp('/dags/{dag_id}/dagRuns'), version === 'v1' ? {} : { logical_date: null });
    expect(trig.status).toBe(404);
    expect(trig.errors).toEqual([]);
  });

  it('refuses missing or wrong credentials with 401', async () => {
    const none = await call(stub, undefined, 'GET', `${p}/dags`, sp('/dags'));
    expect(none.status).toBe(401);
    expect(none.errors).toEqual([]);
    const wrong = await call(stub, version === 'v1' ? basic('admin', 'nope') : 'Bearer forged.token.value', 'GET', `${p}/dags`, sp('/dags'));
    expect(wrong.status).toBe(401);
  });

  it('leaves a removed DAG out of the list and shows an added one', async () => {
    const before = (await call(stub, auth, 'GET', `${p}/dags?limit=100`, sp('/dags'))).json.total_entries;
    stub.data.removeDag('dag_0003');
    stub.data.addDag('zz_new', { owners: ['someone'], tags: ['fresh'] });
    const after = await call(stub, auth, 'GET', `${p}/dags?limit=100&offset=25`, sp('/dags'));
    expect(after.json.total_entries).toBe(before);
    expect(after.errors).toEqual([]);
    expect(after.json.dags.map((d: { dag_id: string }) => d.dag_id)).toContain('zz_new');
    const all = await call(stub, auth, 'GET', `${p}/dags?limit=100`, sp('/dags'));
    expect(all.json.dags.map((d: { dag_id: string }) => d.dag_id)).not.toContain('dag_0003');
  });

  it('injects faults into matching requests only, as many times as asked', async () => {
    stub.faults.add({ kind: 'status', status: 503, path: '/dagRuns', times: 1 });
    stub.faults.add({ kind: 'rate_limit', retryAfter: 2, path: /\/dags$/, times: 1 });
    const failed = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns`, sp('/dags/{dag_id}/dagRuns'));
    expect(failed.status).toBe(503);
    const ok = await call(stub, auth, 'GET', `${p}/dags/~/dagRuns`, sp('/dags/{dag_id}/dagRuns'));
    expect(ok.status).toBe(200);
    const limited = await fetch(`${stub.url}${p}/dags`, { headers: { authorization: auth } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    stub.faults.clear();
    stub.faults.add({ kind: 'malformed', path: '/dags' });
    const broken = await fetch(`${stub.url}${p}/dags`, { headers: { authorization: auth } });
    await expect(broken.json()).rejects.toThrow();
    stub.faults.clear();
    stub.faults.add({ kind: 'drop', path: '/dags' });
    await expect(fetch(`${stub.url}${p}/dags`, { headers: { authorization: auth } })).rejects.toThrow();
    stub.faults.clear();
  });
});

describe.each<ApiVersion>(['v1', 'v2'])('the stub marking and clearing runs as %s', (version) => {
  let stub: AirflowStub;
  let auth: string;
  const p = version === 'v1' ? '/api/v1' : '/api/v2';
  const sp = (path: string) => (version === 'v1' ? path : `/api/v2${path}`);
  const RUN = sp('/dags/{dag_id}/dagRuns/{dag_run_id}');
  const CLEAR = sp('/dags/{dag_id}/clearTaskInstances');

  /** A DAG extract → transform → load plus a lone task, and one run of it with the given task states. */
  function etlRun(runId: string, states: Record<string, TaskState>, runState: RunState) {
    if (!stub.data.dags.has('etl')) stub.data.addDag('etl', { downstream: { extract: ['transform'], transform: ['load'] } });
    stub.data.addRun('etl', { runId, logicalDate: Date.parse(`2026-02-0${stub.data.runs.length % 9}T00:00:00Z`) });
    for (const [task, state] of Object.entries(states)) stub.data.setTaskState('etl', runId, task, state);
    stub.data.setRunState('etl', runId, runState);
    return stub.data.findRun('etl', runId)!;
  }
  const states = (runId: string) => Object.fromEntries(stub.data.tasks.filter((t) => t.dagId === 'etl' && t.runId === runId).map((t) => [t.taskId, t.state]));

  beforeEach(async () => {
    stub = await startAirflowStub({ apiVersion: version, seed: 4, dags: 2, runs: 4, taskInstances: 8 });
    auth = version === 'v1' ? basic('admin', 'admin') : `Bearer ${await tokenFor(stub)}`;
  });
  afterEach(() => stub.close());

  it('marks a run failed: running task instances failed, unfinished ones skipped, finished ones kept', async () => {
    const run = etlRun('r1', { extract: 'success', transform: 'running', load: null, lone: 'up_for_retry', sensor: 'deferred' }, 'running');
    const before = run.updatedAt;
    const res = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r1`, RUN, { state: 'failed' });
    expect(res.status).toBe(200);
    expect(res.errors).toEqual([]);
    expect(res.json).toMatchObject({ dag_run_id: 'r1', state: 'failed' });
    expect(res.json.end_date).not.toBeNull();
    expect(states('r1')).toEqual({ extract: 'success', transform: 'failed', load: 'skipped', lone: 'skipped', sensor: 'failed' });
    // The sync cursor sees the change: the run and the task instances it touched moved forward.
    expect(run.updatedAt).toBeGreaterThan(before);
    const since = encodeURIComponent(new Date(run.updatedAt).toISOString());
    const changed = await call(
      stub,
      auth,
      'GET',
      `${p}/dags/~/dagRuns/~/taskInstances?updated_at_gte=${since}`,
      sp('/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances'),
    );
    expect(changed.json.task_instances.map((t: { task_id: string }) => t.task_id).sort()).toEqual(['load', 'lone', 'sensor', 'transform']);
    // Marking it failed again changes nothing.
    const at = run.updatedAt;
    expect((await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r1`, RUN, { state: 'failed' })).status).toBe(200);
    expect(run.updatedAt).toBe(at);
  });

  it('marks a run success or queued as the version does, and refuses an unknown state or run', async () => {
    etlRun('r2', { extract: 'failed', transform: 'running', load: null }, 'running');
    const ok = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r2`, RUN, { state: 'success' });
    expect([ok.status, ok.errors, ok.json.state]).toEqual([200, [], 'success']);
    // Airflow 2.10 marks every task instance success; Airflow 3 stops the running ones with the run's state and skips the rest.
    expect(states('r2')).toEqual(
      version === 'v1' ? { extract: 'success', transform: 'success', load: 'success' } : { extract: 'failed', transform: 'success', load: 'skipped' },
    );
    const queued = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r2`, RUN, { state: 'queued' });
    expect([queued.status, queued.json.state, queued.json.start_date, queued.json.end_date]).toEqual([200, 'queued', null, null]);
    const bad = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r2`, RUN, { state: 'running' });
    expect([bad.status, bad.errors]).toEqual([version === 'v1' ? 400 : 422, []]);
    const extra = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r2`, RUN, { state: 'failed', reason: 'x' });
    expect(extra.status).toBe(version === 'v1' ? 400 : 422);
    const unknown = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/nope`, RUN, { state: 'failed' });
    expect([unknown.status, unknown.errors]).toEqual([404, []]);
    if (version === 'v2') {
      const note = await call(stub, auth, 'PATCH', `${p}/dags/etl/dagRuns/r2`, RUN, { note: 'checked' });
      expect([note.status, note.json.note, note.json.state]).toEqual([200, 'checked', 'queued']);
    }
  });

  it('clears the given tasks of a run with their downstream, and queues the run again', async () => {
    const run = etlRun('r3', { extract: 'failed', transform: 'upstream_failed', load: 'skipped', lone: 'success' }, 'failed');
    const body = { dry_run: false, dag_run_id: 'r3', task_ids: ['extract'], include_downstream: true, only_failed: false, reset_dag_runs: true };
    const res = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, body);
    expect([res.status, res.errors]).toEqual([200, []]);
    expect(res.json.task_instances.map((t: { task_id: string }) => t.task_id).sort()).toEqual(['extract', 'load', 'transform']);
    expect(res.json.task_instances.every((t: { dag_run_id: string }) => t.dag_run_id === 'r3')).toBe(true);
    if (version === 'v2') expect(res.json.total_entries).toBe(3);
    expect(states('r3')).toEqual({ extract: null, transform: null, load: null, lone: 'success' });
    expect(stub.data.tasks.find((t) => t.runId === 'r3' && t.taskId === 'extract')!.tryNumber).toBe(1);
    expect([run.state, run.startDate, run.endDate]).toEqual(['queued', null, null]);
    expect(stub.requests.at(-1)!.body).toEqual(body);
  });

  it('clears only the failed ones by default, changes nothing on a dry run, and keeps the run without reset_dag_runs on v1', async () => {
    const run = etlRun('r4', { extract: 'failed', transform: 'upstream_failed', load: 'skipped', lone: 'success' }, 'failed');
    const dry = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, { dag_run_id: 'r4' });
    expect(dry.json.task_instances.map((t: { task_id: string }) => t.task_id).sort()).toEqual(['extract', 'transform']);
    expect(states('r4')).toMatchObject({ extract: 'failed', transform: 'upstream_failed' });
    const res = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, { dag_run_id: 'r4', dry_run: false });
    expect([res.status, res.errors]).toEqual([200, []]);
    expect(states('r4')).toEqual({ extract: null, transform: null, load: 'skipped', lone: 'success' });
    // Airflow 2.10's reset_dag_runs defaults to false: the run stays failed. Airflow 3's defaults to true.
    expect(run.state).toBe(version === 'v1' ? 'failed' : 'queued');
  });

  it('refuses a clear of an unknown DAG or run (404) and a body the spec does not allow', async () => {
    etlRun('r5', { extract: 'failed' }, 'failed');
    const dag = await call(stub, auth, 'POST', `${p}/dags/nope/clearTaskInstances`, CLEAR, { dag_run_id: 'r5', dry_run: false });
    expect([dag.status, dag.errors]).toEqual([404, []]);
    const run = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, { dag_run_id: 'nope', dry_run: false });
    expect([run.status, run.errors]).toEqual([404, []]);
    const extra = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, { dag_run_id: 'r5', bogus: true });
    expect(extra.status).toBe(version === 'v1' ? 400 : 422);
    if (version === 'v2') expect(extra.errors).toEqual([]);
    const both = await call(stub, auth, 'POST', `${p}/dags/etl/clearTaskInstances`, CLEAR, { dag_run_id: 'r5', only_failed: true, only_running: true });
    expect(both.status).toBe(version === 'v1' ? 400 : 422);
    expect(states('r5')).toEqual({ extract: 'failed' });
  });
});

describe('the v2 stub tokens', () => {
  let stub: AirflowStub;
  beforeAll(async () => {
    stub = await startAirflowStub({ apiVersion: 'v2', dags: 2, runs: 4, taskInstances: 8, staticTokens: ['static-secret'], tokenTtlMs: 60_000 });
  });
  afterAll(() => stub.close());

  it('issues tokens for good credentials (201), refuses bad ones (401) and unknown keys (422)', async () => {
    const v = specValidator('auth');
    const ok = await fetch(`${stub.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin' }),
    });
    expect(ok.status).toBe(201);
    expect(v.check('post', '/auth/token', 201, await ok.json())).toEqual([]);
    const form = await fetch(`${stub.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=admin&password=admin',
    });
    expect(form.status).toBe(201);
    const bad = await fetch(`${stub.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'x' }),
    });
    expect(bad.status).toBe(401);
    expect(v.check('post', '/auth/token', 401, await bad.json())).toEqual([]);
    const extra = await fetch(`${stub.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin', scope: 'x' }),
    });
    expect(extra.status).toBe(422);
    expect(v.check('post', '/auth/token', 422, await extra.json())).toEqual([]);
  });

  it('stops accepting a token once it expires, but always accepts a static token', async () => {
    const token = await tokenFor(stub);
    const get = (t: string) => fetch(`${stub.url}/api/v2/dags`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect(await get(token)).toBe(200);
    stub.expireTokens();
    expect(await get(token)).toBe(401);
    expect(await get('static-secret')).toBe(200);
  });
});

describe('the spec validators', () => {
  it('reject documents that break the official schemas (so the checks above can fail)', () => {
    const v1 = specValidator('v1');
    expect(v1.check('get', '/dags/{dag_id}/dagRuns', 200, { dag_runs: [{ state: 'exploded' }], total_entries: 1 })).not.toEqual([]);
    expect(v1.check('get', '/dags/{dag_id}/dagRuns', 200, { dag_runs: [{ state: 'queued', note: null, end_date: null }], total_entries: 1 })).toEqual([]);
    expect(v1.check('get', '/dags', 401, { title: 'Unauthorized' })).not.toEqual([]);
    const v2 = specValidator('v2');
    expect(v2.check('get', '/api/v2/dags/{dag_id}/dagRuns', 200, { dag_runs: [] })).not.toEqual([]);
    expect(v2.check('get', '/api/v2/dags', 200, { dags: [{ dag_id: 'x' }], total_entries: 1 })).not.toEqual([]);
    expect(v2.check('get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances', 200, { task_instances: [], total_entries: 0 })).toEqual([]);
  });
});
