import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEMO_PIPELINE_FILE } from './demo';
import { type Proc, sleep, spawnProcess, until } from './test-processes';
import { freshDatabase } from './test-support';

jest.setTimeout(240_000);

const KEY = 'sbx_engine_postgres_test_key_0123456789';
const LEASE_S = 4;
const P = '/spaces/eng/orchestration';

/**
 * Signalbox on PostgreSQL with several processes, its steps on a `warehouse` connector (a PostgreSQL
 * database of its own): the embedded warehouse refused, a run resumed after kill -9 writing each
 * row once, a dry run leaving the warehouse as it was, an unreachable warehouse failing the run.
 */
describe('the embedded engine on PostgreSQL with a warehouse connector', () => {
  let signalbox: { url: string; drop(): Promise<void> };
  let warehouse: { url: string; drop(): Promise<void> };
  let dw: pg.Client;
  const procs: Proc[] = [];
  const dirs: string[] = [];
  let url = '';

  const env = () => {
    const dir = mkdtempSync(join(tmpdir(), 'signalbox-engine-pg-'));
    dirs.push(dir);
    return {
      DATABASE_URL: signalbox.url,
      SIGNALBOX_SECRET_KEY: 'engine-test-secret-0123456',
      SIGNALBOX_ADMIN_API_KEY: KEY,
      SIGNALBOX_DATA_DIR: dir,
      SIGNALBOX_DEMO: '0',
      SIGNALBOX_LEASE_SECONDS: String(LEASE_S),
      SIGNALBOX_SHUTDOWN_GRACE_SECONDS: '2',
      DATABASE_POOL_SIZE: '3',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
  };
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/api/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
  };
  const define = async (definition: Record<string, unknown>) => {
    const res = await api('POST', `${P}/pipelines`, definition);
    expect(res).toMatchObject({ status: 201 });
    return res.body.id as string;
  };
  const trigger = async (id: string, body: Record<string, unknown> = {}) => {
    const res = await api('POST', `${P}/pipelines/${id}/trigger`, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  const waitFor = async (runId: string) => (await api('GET', `${P}/runs/${runId}?wait_seconds=60`)).body;
  const catalog = async () =>
    (
      await dw.query(
        `select table_schema, table_name, string_agg(column_name || ':' || data_type, ',' order by ordinal_position) as columns
           from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema')
          group by 1, 2 order by 1, 2`,
      )
    ).rows;

  beforeAll(async () => {
    signalbox = await freshDatabase('engine');
    warehouse = await freshDatabase('engine_dw');
    dw = new pg.Client({ connectionString: warehouse.url });
    await dw.connect();
    const a = spawnProcess('a', 'main', env());
    procs.push(a);
    url = await until('a to listen', () => a.url, 120_000);
    expect((await api('POST', '/spaces', { slug: 'eng', name: 'Engine' })).status).toBe(201);
    // The password goes in the URL; the API keeps it write-only.
    const dwUrl = new URL(warehouse.url);
    dwUrl.password = 'unused-by-trust-auth';
    const created = await api('POST', '/spaces/eng/connectors', { name: 'dw', type: 'warehouse', config: { url: dwUrl.toString() } });
    expect(created.status).toBe(201);
    expect(created.body.config).toMatchObject({ password_set: true });
    expect(JSON.stringify(created.body)).not.toContain('unused-by-trust-auth');
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await dw?.end();
    await signalbox?.drop();
    await warehouse?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('refuses the embedded warehouse, naming the field', async () => {
    const res = await api('POST', `${P}/pipelines`, { name: 'nowhere', sources: [{ name: 'a', query: 'select 1 as x' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: '/warehouse', reason: expect.stringMatching(/warehouse/) })]);
  });

  it('merges the demo pipeline into its destination, the same rows on a second run', async () => {
    const text = readFileSync(DEMO_PIPELINE_FILE, 'utf8').replace('tags: [demo, analytics]', 'tags: [demo, analytics]\nwarehouse: dw');
    const created = await api('POST', `${P}/pipelines`, text, { 'Content-Type': 'application/yaml' });
    expect(created.status).toBe(201);
    const first = await waitFor((await trigger(created.body.id)).id);
    expect(first).toMatchObject({ status: 'success', rows_loaded: 50, progress: { steps_done: 3, steps_total: 3 } });
    expect(first.task_runs.map((t: { task_id: string; rows: number }) => [t.task_id, t.rows])).toEqual([
      ['events', 1000],
      ['user_activity', 50],
      ['analytics.user_activity', 50],
    ]);
    const second = await waitFor((await trigger(created.body.id, { variables: { days: 1 } })).id);
    expect(second.status).toBe('success');
    const { rows } = await dw.query('select count(*)::int as n, count(distinct user_id)::int as users from analytics.user_activity');
    expect(rows[0]).toEqual({ n: 50, users: 50 });
  });

  it('plans a dry run without changing the warehouse', async () => {
    const id = await define({
      name: 'planned',
      warehouse: 'dw',
      sources: [{ name: 'fresh_source', query: 'select g as id from generate_series(1, 100) g' }],
      destinations: [{ name: 'analytics.user_activity', from: 'fresh_source', mode: 'replace' }],
    });
    const before = await catalog();
    const count = async () => (await dw.query('select count(*)::int as n from analytics.user_activity')).rows[0].n;
    const rowsBefore = await count();
    const dry = await waitFor((await trigger(id, { dry_run: true })).id);
    expect(dry).toMatchObject({ status: 'success', options: { dry_run: true } });
    expect(dry.task_runs[0].plan).toMatchObject({ estimated_rows: expect.any(Number) });
    expect(await catalog()).toEqual(before);
    expect(await count()).toBe(rowsBefore);
  });

  it('resumes a run whose process was killed mid-step on another process, writing each row once', async () => {
    const id = await define({
      name: 'crashy',
      warehouse: 'dw',
      sources: [{ name: 'numbers', query: 'select g as id from generate_series(1, 1000) g' }],
      transforms: [{ name: 'slow_numbers', query: 'select id from numbers cross join (select pg_sleep(3)) s' }],
      destinations: [{ name: 'out.ids', from: 'slow_numbers', mode: 'append' }],
    });
    const run = await trigger(id);
    const step = async (name: string) => (await api('GET', `${P}/runs/${run.id}`)).body.task_runs.find((t: { task_id: string }) => t.task_id === name);
    for (let i = 0; i < 600 && (await step('slow_numbers'))?.status !== 'running'; i++) await sleep(50);
    expect((await step('slow_numbers'))?.status).toBe('running');
    await sleep(500);
    const [a] = procs;
    a.child.kill('SIGKILL');
    await a.exited;

    const b = spawnProcess('b', 'main', env());
    procs.push(b);
    url = await until('b to listen', () => b.url, 120_000);
    const done = await waitFor(run.id);
    const finished = done.status === 'success' ? done : await waitFor(run.id);
    expect(finished).toMatchObject({ status: 'success', rows_loaded: 1000 });
    const { rows } = await dw.query('select count(*)::int as n, count(distinct id)::int as ids from out.ids');
    expect(rows[0]).toEqual({ n: 1000, ids: 1000 });
    // The process that took the run over finished it.
    expect(b.logs.some((l) => l.message === 'managed run finished' && l.runId === run.id)).toBe(true);
  });

  it("refuses a warehouse connector that points at Signalbox's own database: no step runs there", async () => {
    expect((await api('POST', '/spaces/eng/connectors', { name: 'itself', type: 'warehouse', config: { url: signalbox.url } })).status).toBe(201);
    const id = await define({ name: 'snoop', warehouse: 'itself', sources: [{ name: 'keys', query: 'select * from api_keys' }] });
    const done = await waitFor((await trigger(id)).id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'WAREHOUSE_FORBIDDEN', message: expect.stringMatching(/Signalbox's own database/) } });
    expect(done.task_runs[0]).toMatchObject({ status: 'failed', rows: null });
  });

  it('fails a run on an unreachable warehouse with WAREHOUSE_UNREACHABLE and tries nothing again', async () => {
    expect(
      (await api('POST', '/spaces/eng/connectors', { name: 'gone', type: 'warehouse', config: { url: 'postgres://nobody@127.0.0.1:1/nothing' } })).status,
    ).toBe(201);
    const id = await define({ name: 'unreachable', warehouse: 'gone', sources: [{ name: 'a', query: 'select 1 as x' }] });
    const done = await waitFor((await trigger(id)).id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'WAREHOUSE_UNREACHABLE', message: expect.stringMatching(/127\.0\.0\.1:1/) } });
    const signal = new pg.Client({ connectionString: signalbox.url });
    await signal.connect();
    try {
      expect((await signal.query("select count(*)::int as n from jobs where name = 'managed-run'")).rows[0].n).toBe(0);
    } finally {
      await signal.end();
    }
  });
});
