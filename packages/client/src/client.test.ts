import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApiDocument } from '@signalbox/http-express';
import { ApiError, ConnectionError, type RunDetail, Signalbox, SignalboxError, WaitTimeoutError } from './index';
import { ROOT, slowPipeline, startServer, type TestServer } from './testing/server';

// The first managed run opens the embedded warehouse: seconds, more on a loaded machine.
jest.setTimeout(180_000);

let server: TestServer;
let sb: Signalbox;
/** Every request the client sent, as `METHOD path?query`. */
const sent: string[] = [];

beforeAll(async () => {
  server = await startServer();
  sb = new Signalbox({
    url: server.url,
    apiKey: server.key,
    fetch: (request) => {
      const u = new URL(request.url);
      sent.push(`${request.method} ${u.pathname}${u.search}`);
      return fetch(request);
    },
  });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

const failing = `name: broken
sources:
  - name: numbers
    query: select n from generate_series(1, 10) as g(n)
transforms:
  - name: divide
    query: select 1 / (n - n) as boom from numbers
`;

describe('@signalbox/client against a real server', () => {
  it('was generated from the document this server serves', async () => {
    expect(await (await fetch(`${server.url}/openapi.json`)).json()).toEqual(openApiDocument());
  });

  it('finds the only space the key can see, and names the space to the name-addressed routes when given', async () => {
    expect(await sb.space()).toBe('acme');
    const named = new Signalbox({ url: server.url, apiKey: server.key, space: 'nowhere' });
    await expect(named.pipelines.list()).rejects.toMatchObject({ name: 'ApiError', status: 404, code: 'SPACE_NOT_FOUND' });
  });

  it('applies a YAML file: created, then unchanged, then updated when its content changes; lists and gets it by name', async () => {
    const yaml = await readFile(join(ROOT, 'examples/user-analytics.yaml'), 'utf8');
    const first = await sb.pipelines.apply(yaml);
    expect(first).toMatchObject({ outcome: 'created', pipeline: { name: 'user-analytics', version: '1.0', status: 'active', last_run: null } });
    expect((await sb.pipelines.apply(yaml)).outcome).toBe('unchanged');
    const changed = yaml.replace('min_events: 1', 'min_events: 2').replace('version: "1.0"', 'version: "1.1"');
    expect(await sb.pipelines.apply(changed)).toMatchObject({ outcome: 'updated', pipeline: { version: '1.1' } });
    // An object is a definition too.
    expect((await sb.pipelines.apply({ name: 'tiny', sources: [{ name: 'one', query: 'select 1 as n' }] })).outcome).toBe('created');

    const page = await sb.pipelines.list();
    expect(page.items.map((p) => p.name)).toEqual(expect.arrayContaining(['user-analytics', 'tiny']));
    expect(page).toMatchObject({ page: 1, perPage: 20 });
    expect(page.total).toBe(page.items.length);
    expect((await sb.pipelines.get('user-analytics')).version).toBe('1.1');
  });

  it('throws typed errors: the API’s code, status and details with their line; a server that cannot be reached', async () => {
    const missing = await sb.pipelines.get('no-such-pipeline').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, code: 'PIPELINE_NOT_FOUND' });

    const bad = await sb.pipelines.apply('name: bad\nsources:\n  - name: one\n    query: selec 1\n').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).status).toBe(400);
    expect((bad as ApiError).details[0]).toMatchObject({ line: 4, field: '/sources/0/query' });

    const validation = await sb.pipelines.validate('name: bad\nsources:\n  - name: one\n    query: selec 1\n');
    expect(validation.valid).toBe(false);
    expect(validation.errors[0].line).toBe(4);

    const nowhere = new Signalbox({ url: 'http://127.0.0.1:1', apiKey: server.key, space: 'acme' });
    const down = await nowhere.pipelines.list().catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ConnectionError);
    expect(down).toMatchObject({ code: 'UNREACHABLE' });
    expect(down).toBeInstanceOf(SignalboxError);
  });

  it('runs a pipeline and waits for it, seeing each step’s progress with one long poll per change', async () => {
    await sb.pipelines.apply(slowPipeline('slow', 0.6));
    const run = await sb.pipelines.run('slow', { variables: {} });
    expect(run.started).toMatchObject({ pipeline: 'slow', status: 'queued', progress: { stage: 'queued', rows_processed: 0 } });
    const seen: RunDetail[] = [];
    sent.length = 0;
    const done = await run.wait({ onProgress: (r) => seen.push(r) });

    expect(done).toMatchObject({ id: run.id, status: 'success', progress: { steps_done: 3, steps_total: 3 }, rows_loaded: null });
    expect(done.task_runs.map((t) => [t.task_id, t.status])).toEqual([
      ['step_1', 'success'],
      ['step_2', 'success'],
      ['step_3', 'success'],
    ]);
    // Every state once, in order, the last one final; the running steps were seen as they ran.
    expect(seen.at(-1)).toEqual(done);
    expect(new Set(seen.map((r) => r.updated_at)).size).toBe(seen.length);
    const running = seen.filter((r) => r.status === 'running').map((r) => r.progress?.step);
    expect(running).toEqual(expect.arrayContaining(['step_1', 'step_2', 'step_3']));
    // Long polls that answer on change: about one request per state, never a busy loop.
    const polls = sent.filter((s) => s.startsWith(`GET /api/v1.0/spaces/acme/orchestration/runs/${run.id}`));
    expect(polls.length).toBeLessThanOrEqual(seen.length + 2);
    expect(polls.slice(1).every((p) => /wait_seconds=\d+/.test(p) && /changed_since=/.test(p))).toBe(true);

    expect((await sb.pipelines.runs('slow', { limit: 5 }))[0]).toMatchObject({ id: run.id, status: 'success' });
  });

  it('resolves a failed run with its error, and passes run options', async () => {
    await sb.pipelines.apply(failing);
    const done = await (await sb.pipelines.run('broken', { fullRefresh: true })).wait();
    expect(done).toMatchObject({ status: 'failed', options: { full_refresh: true }, error: { step: 'divide' } });
    expect(done.error?.message).toMatch(/division by zero/);
    const dry = await (await sb.pipelines.run('broken', { dryRun: true })).wait({ timeout: 60_000 });
    expect(dry.options?.dry_run).toBe(true);
  });

  it('stops waiting on timeout with the run as last seen, and never cancels it', async () => {
    await sb.pipelines.apply(slowPipeline('sleepy', 1.5, 2));
    const run = await sb.pipelines.run('sleepy');
    const t0 = Date.now();
    const timedOut = await run.wait({ timeout: 700 }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect(timedOut).toMatchObject({ code: 'WAIT_TIMEOUT', run: { id: run.id } });
    expect(['queued', 'running']).toContain((timedOut as WaitTimeoutError).run?.status);
    expect((await run.wait()).status).toBe('success');
  });

  it('cancels a run and retries it; comments on a run and on a task run', async () => {
    const run = await sb.pipelines.run('sleepy');
    expect(['canceled', 'queued', 'running']).toContain((await run.cancel()).status);
    const stopped = await run.wait({ timeout: 60_000 });
    expect(stopped.status).toBe('canceled');
    const retried = await sb.runs.retry(run.id);
    expect(retried.id).not.toBe(run.id);
    expect((await sb.runs.wait(retried.id, { timeout: 60_000 })).status).toBe('success');

    const note = await sb.comments.add({ runId: run.id }, 'canceled on purpose');
    const step = (await sb.runs.get(retried.id)).task_runs[0];
    await sb.comments.add({ taskRunId: step.id }, 'ran after the retry');
    expect((await sb.comments.edit(note.id, 'canceled on purpose (edited)')).body).toBe('canceled on purpose (edited)');
    expect((await sb.comments.list({ runId: run.id })).map((c) => c.body)).toEqual(['canceled on purpose (edited)']);
    expect((await sb.comments.list({ taskRunId: step.id })).map((c) => c.body)).toEqual(['ran after the retry']);
    await sb.comments.delete(note.id);
    expect(await sb.comments.list({ runId: run.id })).toEqual([]);
  });

  it('syncs a connector by name and waits for the outcome', async () => {
    const slug = await sb.space();
    const created = await sb.call(
      sb.raw.POST('/api/v1.0/spaces/{slug}/connectors', {
        params: { path: { slug } },
        body: { name: 'fleet', type: 'mock', config: { pipelines: 3, runs_per_pipeline: 2, seed: 7 } } as never,
      }),
    );
    expect((await sb.connectors.get('fleet')).id).toBe(created.id);
    const sync = await sb.connectors.sync('fleet', { wait: true, timeout: 60_000 });
    expect(sync).toMatchObject({ connector_id: created.id, status: 'succeeded', counts: { pipelines: 3 } });
    const started = await sb.connectors.sync(created.id);
    expect(started.status).toBe('running');
    await expect(sb.connectors.get('nope')).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });
    expect((await sb.spaces.list()).map((s) => s.slug)).toEqual(['acme']);
  });

  it('deletes a pipeline by name', async () => {
    await sb.pipelines.delete('tiny');
    await expect(sb.pipelines.get('tiny')).rejects.toMatchObject({ status: 404, code: 'PIPELINE_NOT_FOUND' });
  });
});
