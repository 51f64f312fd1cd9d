import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Running, start } from './main';

jest.setTimeout(120_000);

const KEY = 'sbx_engine_pglite_test_key_0123456789';
const sink = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

/**
 * The embedded engine in a real process setup: Signalbox on its embedded database, steps on the
 * space's embedded PGlite warehouse, which runs off the main thread.
 */
describe('the embedded engine on the embedded warehouse', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-engine-'));
  let running: Running;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${running.url}/api/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
  };
  const P = '/spaces/eng/orchestration';

  const define = async (definition: Record<string, unknown>) => {
    const res = await api('POST', `${P}/pipelines`, definition);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const trigger = async (id: string, body: Record<string, unknown> = {}) => {
    const res = await api('POST', `${P}/pipelines/${id}/trigger`, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  const waitFor = async (runId: string) => (await api('GET', `${P}/runs/${runId}?wait_seconds=60`)).body;
  const until = async (check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stepStatus = async (runId: string, step: string) =>
    ((await api('GET', `${P}/runs/${runId}`)).body.task_runs as { task_id: string; status: string }[]).find((t) => t.task_id === step)?.status;

  beforeAll(async () => {
    running = await start({
      env: { SIGNALBOX_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'error', SIGNALBOX_DEMO: '0', SIGNALBOX_ADMIN_API_KEY: KEY },
      print: () => {},
      logStream: sink(),
    });
    expect((await api('POST', '/spaces', { slug: 'eng', name: 'Engine' })).status).toBe(201);
  });

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the API answering within 100 ms while a step sleeps, and cancels the sleeping statement', async () => {
    const id = await define({
      name: 'sleepy',
      steps: [
        { name: 'sleep', config: { query_type: 'sql', query: 'select 1 as x from pg_sleep(5)', output_datasets: ['slept'], job_type: 'extract' } },
        { name: 'after', config: { query_type: 'sql', query: 'select x from slept', output_datasets: ['after_sleep'], job_type: 'data-transform' } },
      ],
    });
    const run = await trigger(id);
    await until(async () => (await stepStatus(run.id, 'sleep')) === 'running');
    await new Promise((r) => setTimeout(r, 300)); // the statement itself is under way
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${running.url}/health/live`);
      latencies.push(performance.now() - t0);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Math.max(...latencies)).toBeLessThan(100);

    const t0 = Date.now();
    expect((await api('POST', `${P}/runs/${run.id}/cancel`)).status).toBe(202);
    const done = await waitFor(run.id);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(done).toMatchObject({ status: 'canceled', error: { code: 'RUN_CANCELED', step: 'sleep' } });
    expect(done.task_runs.map((t: { task_id: string; status: string }) => [t.task_id, t.status])).toEqual([
      ['sleep', 'failed'],
      ['after', 'skipped'],
    ]);

    // The warehouse was stopped mid-statement; the next run opens it again.
    const again = await waitFor((await trigger(id, { from_step: 'after' })).id);
    expect(again.status).toBe('failed'); // `slept` was never written: the canceled step's transaction rolled back
    expect(again.error.message).toMatch(/relation "slept" does not exist/);
  });

  it('stops a run past timeout_seconds with RUN_TIMEOUT', async () => {
    const id = await define({
      name: 'slow',
      timeout_seconds: 1,
      steps: [{ name: 'sleep', config: { query_type: 'sql', query: 'select 1 as x from pg_sleep(5)', output_datasets: ['slow_out'], job_type: 'extract' } }],
    });
    const t0 = Date.now();
    const done = await waitFor((await trigger(id)).id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'RUN_TIMEOUT', step: 'sleep' } });
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it("never reaches Signalbox's own tables from a step", async () => {
    const id = await define({
      name: 'snoop',
      steps: [{ name: 'keys', config: { query_type: 'sql', query: 'select * from api_keys', output_datasets: ['stolen'], job_type: 'extract' } }],
    });
    const done = await waitFor((await trigger(id)).id);
    expect(done).toMatchObject({
      status: 'failed',
      error: { code: 'STEP_FAILED', step: 'keys', message: expect.stringMatching(/relation "api_keys" does not exist/) },
    });
    expect(done.task_runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/api_keys/) });
  });

  it('runs a seed-2 pipeline with variables bound as data, and a dry run that changes nothing', async () => {
    const id = await define({
      name: 'bound',
      variables: { label: 'x', n: 3 },
      sources: [{ name: 'numbers', query: 'select g as id, :label::text as label from generate_series(1, :n::int) g' }],
      destinations: [{ name: 'out.labels', from: 'numbers', mode: 'append' }],
    });
    const hostile = "'; drop table out.labels; --";
    const first = await waitFor((await trigger(id)).id);
    expect(first).toMatchObject({ status: 'success', rows_loaded: 3, progress: { steps_done: 2, steps_total: 2, rows_processed: 6 } });
    const second = await waitFor((await trigger(id, { variables: { label: hostile, n: 2 } })).id);
    expect(second).toMatchObject({ status: 'success', rows_loaded: 2 });

    const dry = await waitFor((await trigger(id, { dry_run: true })).id);
    expect(dry).toMatchObject({ status: 'success', options: { dry_run: true }, rows_loaded: null });
    expect(dry.task_runs[0].plan.estimated_rows).toEqual(expect.any(Number));

    // What the table holds, asserted by a step (a division by zero unless it holds): the dry run
    // added nothing, and the hostile value is two rows' data.
    const check = await define({
      name: 'check',
      variables: { hostile },
      sources: [
        {
          name: 'seen',
          query: 'select 1 / (count(*) = 5 and count(*) filter (where label = :hostile) = 2)::int as ok from out.labels',
        },
      ],
    });
    const seen = await waitFor((await trigger(check)).id);
    expect([seen.status, seen.error]).toEqual(['success', null]);
    const wrong = await waitFor((await trigger(check, { variables: { hostile: 'not there' } })).id);
    expect(wrong).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/division by zero/) } });
  });
});
