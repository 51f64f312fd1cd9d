import { Agent as HttpAgent } from 'node:http';
import { type AirflowStub, type ApiVersion, type StubOptions, startAirflowStub, TASK_STATES } from '@signalbox/airflow-stub';
import type { ConnectorConfig, OrchestrationProvider } from '@signalbox/core';
import { type AirflowProviderOptions, airflowProviderFactory } from './airflow-provider';
import { taskStatusOf } from './mapping';
import { airflowConnector, changesOf, collect, failure, runsSince, taskRunsSince } from './testing';

// No overlap, so a cursor reads from exactly its time; a look-back long enough to read everything.
const FAST: AirflowProviderOptions = { retries: 2, retryBaseMs: 5, timeoutMs: 2_000, overlapMs: 0, lookbackMs: 100 * 365 * 24 * 3600_000 };

function providerFor(stub: AirflowStub, config: ConnectorConfig = {}, options: AirflowProviderOptions = FAST): OrchestrationProvider {
  const factory = airflowProviderFactory(options);
  return factory.create(airflowConnector(factory.checkConfig({ base_url: stub.url, username: 'admin', password: 'admin', ...config })));
}

describe.each<ApiVersion>(['v1', 'v2'])('Airflow %s over HTTP', (version) => {
  let stub: AirflowStub;
  const start = (o: StubOptions = {}) => startAirflowStub({ apiVersion: version, seed: 21, dags: 12, runs: 120, taskInstances: 400, ...o });
  const p = version === 'v1' ? '/api/v1' : '/api/v2';
  afterEach(async () => {
    await stub?.close();
  });

  it('detects the API version, asking v2 first', async () => {
    stub = await start();
    const info = await providerFor(stub).check();
    expect(info).toMatchObject({ name: 'airflow', apiVersion: version, version: version === 'v1' ? '2.10.5' : '3.3.2' });
    const asked = stub.requests.map((r) => r.path).filter((path) => path.endsWith('/version'));
    expect(asked).toEqual(version === 'v1' ? ['/api/v2/version', '/api/v1/version'] : ['/api/v2/version']);
  });

  it('keeps one provider per connector, so a trigger after a check does not ask for the version again', async () => {
    stub = await start();
    const factory = airflowProviderFactory(FAST);
    const config = factory.checkConfig({ base_url: stub.url, username: 'admin', password: 'admin' });
    const connector = airflowConnector(config);
    const provider = factory.create(connector);
    expect(factory.create({ ...connector, config: { ...config } })).toBe(provider);
    await provider.check();
    const asked = () => stub.requests.filter((r) => r.path.endsWith('/version')).length;
    const afterCheck = asked();
    const run = await factory
      .create(connector)
      .trigger(stub.data.listDags()[0].dagId, { runId: 'signalbox__cached', conf: null, note: null, logicalDate: null });
    expect(run.externalId).toBe('signalbox__cached');
    expect(asked()).toBe(afterCheck);
    // An edited config, or another connector, gets a provider of its own.
    expect(factory.create({ ...connector, config: { ...config, api_version: version } })).not.toBe(provider);
    expect(factory.create({ ...connector, id: 'c2' })).not.toBe(provider);
  });

  it('uses a configured version without probing the other', async () => {
    stub = await start();
    const info = await providerFor(stub, { api_version: version }).check();
    expect(info.apiVersion).toBe(version);
    expect(stub.requests.filter((r) => r.path.endsWith('/version')).map((r) => r.path)).toEqual([`${p}/version`]);
  });

  it('refuses to talk to a server without the configured API', async () => {
    stub = await start();
    const other = version === 'v1' ? 'v2' : 'v1';
    const f = await failure(providerFor(stub, { api_version: other }).check());
    expect(f).toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('maps DAGs to pipelines: owners, tags, schedule, paused, next run, description, display name', async () => {
    stub = await start();
    stub.data.addDag('zz_report', {
      displayName: 'Nightly report',
      description: 'Builds the report',
      owners: ['alice', 'bob'],
      tags: ['finance', 'daily'],
      schedule: { kind: 'cron', value: '0 3 * * *', description: 'At 03:00' },
      paused: true,
      nextRunLogical: Date.parse('2026-12-01T02:00:00Z'),
      nextRunAfter: Date.parse('2026-12-01T03:00:00Z'),
    });
    stub.data.addDag('zz_manual', { schedule: null, owners: [] });
    const { items } = await collect(providerFor(stub).pipelines());
    expect(items).toHaveLength(14);
    expect(items.find((x) => x.externalId === 'zz_report')).toEqual({
      externalId: 'zz_report',
      name: 'Nightly report',
      description: 'Builds the report',
      owner: 'alice, bob',
      tags: ['finance', 'daily'],
      schedule: '0 3 * * *',
      paused: true,
      nextRunAt: new Date('2026-12-01T03:00:00Z'),
    });
    expect(items.find((x) => x.externalId === 'zz_manual')).toMatchObject({ owner: null, tags: [], nextRunAt: null, paused: false });
    // Every generated schedule kind becomes text or null, never an object.
    for (const x of items) expect(x.schedule === null || typeof x.schedule === 'string').toBe(true);
    const delta = [...stub.data.dags.values()].find((d) => d.schedule?.kind === 'delta')!;
    const hours = (delta.schedule as { seconds: number }).seconds / 3600;
    expect(items.find((x) => x.externalId === delta.dagId)!.schedule).toBe(`${hours}:00:00`);
  });

  it('pages by what came back when Airflow caps the page below what was asked', async () => {
    stub = await start({ maximumPageLimit: 7 });
    const provider = providerFor(stub, {}, { ...FAST, pageSize: 50 });
    const runs = await collect(runsSince(provider, null));
    expect(runs.items).toHaveLength(120);
    expect(runs.sizes.every((n) => n <= 7)).toBe(true);
    expect(runs.sizes).toHaveLength(Math.ceil(120 / 7));
    expect(new Set(runs.items.map((r) => `${r.pipelineExternalId}/${r.externalId}`)).size).toBe(120);
    const offsets = stub.requests.filter((r) => r.path.endsWith('/dagRuns')).map((r) => Number(r.query.offset));
    expect(offsets).toEqual(runs.sizes.map((_, i) => i * 7));
    expect(stub.requests.filter((r) => r.path.endsWith('/dagRuns')).every((r) => r.query.limit === '50')).toBe(true);
    const tasks = await collect(taskRunsSince(provider, null));
    expect(tasks.items).toHaveLength(400);
    const pipelines = await collect(provider.pipelines());
    expect(pipelines.items.map((x) => x.externalId)).toEqual(stub.data.listDags().map((d) => d.dagId));
  });

  it('does not lose a DAG when another one goes away while the list is paged', async () => {
    stub = await start({ maximumPageLimit: 5 });
    const seen = new Set<string>();
    let first = true;
    for await (const page of providerFor(stub).pipelines()) {
      for (const x of page) seen.add(x.externalId);
      if (first) stub.data.removeDag(page[0].externalId);
      first = false;
    }
    const live = stub.data.listDags().map((d) => d.dagId);
    expect(live).toHaveLength(11);
    for (const id of live) expect(seen).toContain(id);
  });

  it('keeps a run in place when it changes while the runs are paged', async () => {
    stub = await start({ maximumPageLimit: 10 });
    const seen = new Set<string>();
    let first = true;
    for await (const page of runsSince(providerFor(stub), null)) {
      for (const r of page) seen.add(r.externalId);
      // A run already read changes: ordered by updated_at it would move to the end and shift an unread run back.
      if (first) stub.data.setRunNote(page[0].pipelineExternalId, page[0].externalId, 'edited');
      first = false;
    }
    expect(seen.size).toBe(120);
  });

  it('fetches a page only when the caller asks for it', async () => {
    stub = await start({ maximumPageLimit: 10 });
    const provider = providerFor(stub);
    const before = stub.requests.length;
    for await (const page of runsSince(provider, null)) {
      expect(page).toHaveLength(10);
      break;
    }
    const listed = stub.requests.slice(before).filter((r) => r.path.endsWith('/dagRuns'));
    expect(listed).toHaveLength(1);
  });

  it('lists runs and task runs changed since a time, and picks up later changes from the cursor', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const cut = stub.data.runs[80].updatedAt;
    const since = new Date(cut);
    const recent = await collect(runsSince(provider, since));
    expect(recent.items.map((r) => r.externalId).sort()).toEqual(
      stub.data.runs
        .filter((r) => r.updatedAt >= cut)
        .map((r) => r.runId)
        .sort(),
    );
    const sent = stub.requests.find((r) => r.path.endsWith('/dagRuns'))!;
    expect(sent.query.updated_at_gte).toBe(since.toISOString());
    const tasks = await collect(taskRunsSince(provider, since));
    expect(tasks.items).toHaveLength(stub.data.tasks.filter((t) => t.updatedAt >= cut).length);

    // A whole listing ends with its cursor, after every runs page and every task runs page.
    const before = Date.now();
    const listing = await changesOf(provider, null);
    const kinds = listing.kinds.join(',');
    expect(kinds).toMatch(/^(runs,)+(taskRuns,)+cursor$/);
    const cursor = listing.cursor!;
    expect(Date.parse(cursor)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(cursor)).toBeGreaterThanOrEqual(before - 1000); // the server's Date has whole seconds
    expect((await changesOf(provider, cursor)).runs.length).toBeLessThanOrEqual(2);

    const old = stub.data.runs[5];
    stub.data.setRunState(old.dagId, old.runId, 'failed');
    stub.data.setTaskState(old.dagId, old.runId, 'late_task', 'up_for_retry');
    const next = await changesOf(provider, cursor);
    expect(next.runs.find((r) => r.externalId === old.runId)).toMatchObject({ status: 'failed', nativeStatus: 'failed' });
    expect(next.taskRuns.find((t) => t.taskId === 'late_task')).toMatchObject({ status: 'retrying', nativeStatus: 'up_for_retry' });
  });

  it('misses no run or task instance that changes while a listing is under way', async () => {
    // One clock for Airflow and the provider, behind the real one so the server's Date never wins.
    let now = Date.now() - 30 * 24 * 3600_000;
    stub = await start({ clock: () => now, maximumPageLimit: 10 });
    const provider = providerFor(stub, {}, { ...FAST, now: () => new Date(now) });
    let cursor: string | undefined;
    let changedRun: { dagId: string; runId: string } | undefined;
    let changedTaskRun: { dagId: string; runId: string } | undefined;
    for await (const change of provider.changes(null)) {
      if (change.kind === 'runs' && !changedRun) {
        // A run read on the first page changes once the runs listing is under way.
        const r = change.runs[0];
        changedRun = { dagId: r.pipelineExternalId, runId: r.externalId };
        now += 60_000;
        stub.data.setRunState(changedRun.dagId, changedRun.runId, 'failed');
        stub.data.setRunNote(changedRun.dagId, changedRun.runId, 'changed mid-sync');
        now += 60_000;
      } else if (change.kind === 'taskRuns' && !changedTaskRun) {
        // ... and a task instance while the task instances are listed.
        const t = change.taskRuns[0];
        changedTaskRun = { dagId: t.pipelineExternalId, runId: t.runExternalId };
        now += 60_000;
        stub.data.setTaskState(changedTaskRun.dagId, changedTaskRun.runId, 'mid_sync_task', 'success');
        now += 60_000;
      } else if (change.kind === 'cursor') {
        cursor = change.cursor;
      }
    }
    now += 60_000;
    const next = await changesOf(provider, cursor!);
    expect(next.runs.find((r) => r.externalId === changedRun!.runId)).toMatchObject({ status: 'failed', note: 'changed mid-sync' });
    expect(next.taskRuns.find((t) => t.taskId === 'mid_sync_task' && t.runExternalId === changedTaskRun!.runId)).toMatchObject({ status: 'success' });
  });

  it('reads back the look-back window without a cursor, and the overlap before one (an ISO time, as stored by earlier versions)', async () => {
    stub = await start();
    const at = new Date('2026-05-01T12:00:00.000Z');
    const provider = providerFor(stub, {}, { ...FAST, now: () => at, lookbackMs: 3_600_000, overlapMs: 60_000 });
    const asked = async (cursor: string | null) => {
      const before = stub.requests.length;
      await changesOf(provider, cursor);
      const listed = stub.requests.slice(before).filter((r) => r.path.endsWith('/dagRuns') || r.path.endsWith('/taskInstances'));
      return [...new Set(listed.map((r) => r.query.updated_at_gte))];
    };
    expect(await asked(null)).toEqual(['2026-05-01T11:00:00.000Z']);
    expect(await asked('2026-04-01T00:00:00.000Z')).toEqual(['2026-03-31T23:59:00.000Z']);
    expect(await asked('not a time')).toEqual(['2026-05-01T11:00:00.000Z']);
  });

  it('maps every task state, run state and run type of the wire', async () => {
    stub = await start();
    const run = stub.data.runs[10];
    for (const state of TASK_STATES) stub.data.setTaskState(run.dagId, run.runId, `probe_${String(state)}`, state);
    const { items } = await collect(taskRunsSince(providerFor(stub), new Date(stub.data.tasks.at(-TASK_STATES.length)!.updatedAt)));
    const probes = items.filter((t) => t.taskId.startsWith('probe_'));
    expect(probes).toHaveLength(TASK_STATES.length);
    for (const t of probes) {
      const sent = t.taskId.slice('probe_'.length);
      // v2 has no "none" string: the stub sends null, as Airflow 3 does.
      const native = sent === 'null' || (sent === 'none' && version === 'v2') ? null : sent;
      expect({ native: t.nativeStatus, status: t.status }).toEqual({ native, status: taskStatusOf(native) });
    }
    // Every run state on the wire, whatever the seed generated.
    const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
    for (const [i, state] of RUN_STATES.entries()) stub.data.setRunState(stub.data.runs[i].dagId, stub.data.runs[i].runId, state);
    const runs = (await collect(runsSince(providerFor(stub), null))).items;
    const byType = new Map(runs.map((r) => [r.runType, r]));
    expect([...byType.keys()].sort()).toEqual(['backfill', 'event', 'manual', 'scheduled']);
    const states = new Set(runs.map((r) => `${r.nativeStatus}->${r.status}`));
    expect([...states].sort()).toEqual(['failed->failed', 'queued->queued', 'running->running', 'success->success']);
    const event = runs.find((r) => r.runType === 'event')!;
    expect(stub.data.findRun(event.pipelineExternalId, event.externalId)!.kind).toBe('event');
  });

  it('triggers a run under the given id, with conf and note, and says RUN_EXISTS for the same id', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const dagId = stub.data.listDags()[1].dagId;
    const request = { runId: 'signalbox__abc', conf: { table: 'orders' }, note: 'from signalbox', logicalDate: null };
    const run = await provider.trigger(dagId, request);
    expect(run).toMatchObject({
      pipelineExternalId: dagId,
      externalId: 'signalbox__abc',
      status: 'queued',
      runType: 'manual',
      conf: { table: 'orders' },
      note: 'from signalbox',
    });
    const posted = stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dagRuns'));
    expect(posted).toHaveLength(1);
    const again = await failure(provider.trigger(dagId, request));
    expect(again).toMatchObject({ kind: 'conflict', code: 'RUN_EXISTS', status: 409 });
    // What the run service does next: fetch the run that exists.
    const fetched = await provider.getRun(dagId, 'signalbox__abc');
    expect(fetched).toMatchObject({ externalId: 'signalbox__abc', status: 'queued', conf: { table: 'orders' } });
    const withDate = await provider.trigger(dagId, { runId: 'signalbox__dated', conf: null, note: null, logicalDate: new Date('2026-03-01T00:00:00Z') });
    expect(withDate.logicalDate).toEqual(new Date('2026-03-01T00:00:00Z'));
    expect(await failure(provider.trigger('no_such_dag', request))).toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND', status: 404 });
    expect(await failure(provider.getRun(dagId, 'nope'))).toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND', status: 404 });
  });

  it('pauses and unpauses a DAG in Airflow, and says PIPELINE_NOT_FOUND for an unknown one', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const dag = stub.data.listDags().find((d) => !d.paused)!;
    await provider.setPaused(dag.dagId, true);
    expect(stub.data.dags.get(dag.dagId)?.paused).toBe(true);
    const patched = stub.requests.filter((r) => r.method === 'PATCH');
    expect(patched.map((r) => [r.path, r.query.update_mask])).toEqual([[`${p}/dags/${dag.dagId}`, version === 'v1' ? 'is_paused' : undefined]]);
    // The next listing shows it.
    const { items } = await collect(provider.pipelines());
    expect(items.find((x) => x.externalId === dag.dagId)?.paused).toBe(true);
    await provider.setPaused(dag.dagId, false);
    expect(stub.data.dags.get(dag.dagId)?.paused).toBe(false);
    expect(await failure(provider.setPaused('no_such_dag', true))).toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND', status: 404 });
  });

  it('cancels a run: Airflow marks it failed, stops its running task and skips the rest, and the next listing shows it', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const dagId = stub.data.listDags()[0].dagId;
    await provider.trigger(dagId, { runId: 'signalbox__cancel', conf: null, note: null, logicalDate: null });
    stub.data.setTaskState(dagId, 'signalbox__cancel', 'extract', 'success');
    stub.data.setTaskState(dagId, 'signalbox__cancel', 'transform', 'running');
    stub.data.setTaskState(dagId, 'signalbox__cancel', 'load', null);
    stub.data.setRunState(dagId, 'signalbox__cancel', 'running');
    const { cursor } = await changesOf(provider, null);
    const run = await provider.cancelRun(dagId, 'signalbox__cancel');
    expect(run).toMatchObject({ pipelineExternalId: dagId, externalId: 'signalbox__cancel', status: 'failed', nativeStatus: 'failed' });
    expect(run.finishedAt).not.toBeNull();
    const patched = stub.requests.filter((r) => r.method === 'PATCH');
    expect(patched.map((r) => [r.path, r.body])).toEqual([[`${p}/dags/${dagId}/dagRuns/signalbox__cancel`, { state: 'failed' }]]);
    const next = await changesOf(provider, cursor);
    expect(next.runs.find((r) => r.externalId === 'signalbox__cancel')).toMatchObject({ status: 'failed' });
    const tasks = next.taskRuns.filter((t) => t.runExternalId === 'signalbox__cancel');
    // The cursor has the server's whole seconds, so the finished extract may be listed again, unchanged.
    expect(Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))).toMatchObject({ transform: 'failed', load: 'skipped' });
    expect(tasks.find((t) => t.taskId === 'extract')?.status ?? 'success').toBe('success');
    expect(await failure(provider.cancelRun(dagId, 'nope'))).toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND', status: 404 });
    expect(await failure(provider.cancelRun('no_such_dag', 'nope'))).toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND', status: 404 });
  });

  it('sends a cancel again after a 503 (marking a run failed twice changes nothing)', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const run = stub.data.runs.find((r) => r.state === 'running')!;
    stub.faults.add({ kind: 'status', status: 503, method: 'PATCH', times: 1 });
    expect((await provider.cancelRun(run.dagId, run.runId)).status).toBe('failed');
    expect(stub.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([503, 200]);
  });

  it('retries a run: lists its failed task instances page by page, clears them by id with their downstream, and the run is queued again', async () => {
    stub = await start({ maximumPageLimit: 2 });
    const provider = providerFor(stub);
    stub.data.addDag('etl', { downstream: { prep: ['extract'], extract: ['transform'], transform: ['load', 'report'] } });
    stub.data.addRun('etl', { runId: 'r', logicalDate: Date.parse('2026-03-01T00:00:00Z') });
    const given = { prep: 'success', extract: 'failed', transform: 'upstream_failed', load: 'skipped', report: 'upstream_failed', lone: 'success' } as const;
    for (const [task, state] of Object.entries(given)) stub.data.setTaskState('etl', 'r', task, state);
    for (const i of [0, 1, 2]) stub.data.setTaskState('etl', 'r', 'square', 'failed', i);
    stub.data.setRunState('etl', 'r', 'failed');
    const before = stub.requests.length;

    const run = await provider.retryRun('etl', 'r');
    expect(run).toMatchObject({ externalId: 'r', status: 'queued', nativeStatus: 'queued', startedAt: null, finishedAt: null });
    const states = Object.fromEntries(stub.data.tasks.filter((t) => t.runId === 'r' && t.mapIndex <= 0).map((t) => [t.taskId, t.state]));
    // Failed, upstream_failed and what is downstream of them (a skipped load) cleared; upstream and unrelated tasks kept.
    expect(states).toEqual({ prep: 'success', extract: null, transform: null, load: null, report: null, lone: 'success', square: null });
    const asked = stub.requests.slice(before);
    const listed = asked.filter((r) => r.path === `${p}/dags/etl/dagRuns/r/taskInstances`);
    expect(listed.map((r) => r.query.offset)).toEqual(['0', '2', '4']);
    expect(listed.every((r) => JSON.stringify(r.query.state) === JSON.stringify(['failed', 'upstream_failed']))).toBe(true);
    const cleared = asked.filter((r) => r.path === `${p}/dags/etl/clearTaskInstances`);
    expect(cleared.map((r) => [r.method, r.body])).toEqual([
      [
        'POST',
        {
          dry_run: false,
          dag_run_id: 'r',
          task_ids: ['extract', 'report', 'square', 'transform'],
          include_downstream: true,
          include_upstream: false,
          only_failed: false,
          reset_dag_runs: true,
        },
      ],
    ]);
    expect(asked.at(-1)).toMatchObject({ method: 'GET', path: `${p}/dags/etl/dagRuns/r` });

    // Nothing failed is left: a second retry clears nothing and answers the run as it is.
    const again = await provider.retryRun('etl', 'r');
    expect(again.status).toBe('queued');
    expect(stub.requests.filter((r) => r.path.endsWith('/clearTaskInstances'))).toHaveLength(1);
    expect(await failure(provider.retryRun('etl', 'nope'))).toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND', status: 404 });
  });

  it('never resends a clear whose answer was lost; calling retryRun again finds nothing left to clear', async () => {
    stub = await start();
    const provider = providerFor(stub);
    const run = stub.data.runs.find((r) => r.state === 'failed' && stub.data.tasks.some((t) => t.runId === r.runId && t.state === 'failed'))!;
    stub.faults.add({ kind: 'lose_response', method: 'POST', path: '/clearTaskInstances', times: 1 });
    expect(await failure(provider.retryRun(run.dagId, run.runId))).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE' });
    expect(stub.requests.filter((r) => r.path.endsWith('/clearTaskInstances'))).toHaveLength(1);
    expect(run.state).toBe('queued');
    expect((await provider.retryRun(run.dagId, run.runId)).status).toBe('queued');
    expect(stub.requests.filter((r) => r.path.endsWith('/clearTaskInstances'))).toHaveLength(1);
  });

  it('says PROVIDER_AUTH_FAILED (bad_gateway) when Airflow refuses the credentials', async () => {
    stub = await start();
    const f = await failure(providerFor(stub, { password: 'wrong' }).check());
    expect(f).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 401 });
    expect(f.message).toMatch(/credentials|username and password/);
    const sync = await failure(collect(runsSince(providerFor(stub, { password: 'wrong', api_version: version }), null)));
    expect(sync).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 401 });
  });

  it('says PROVIDER_AUTH_FAILED with 403 when the user may read but not trigger, cancel or retry', async () => {
    stub = await start({ users: [{ username: 'viewer', password: 'v', readOnly: true }] });
    const provider = providerFor(stub, { username: 'viewer', password: 'v' });
    expect((await collect(provider.pipelines())).items.length).toBe(12);
    const f = await failure(provider.trigger(stub.data.listDags()[0].dagId, { runId: 'signalbox__x', conf: null, note: null, logicalDate: null }));
    expect(f).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 403 });
    const failed = stub.data.runs.find((r) => r.state === 'failed' && stub.data.tasks.some((t) => t.runId === r.runId && t.state === 'failed'))!;
    for (const call of [provider.cancelRun(failed.dagId, failed.runId), provider.retryRun(failed.dagId, failed.runId)]) {
      expect(await failure(call)).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 403 });
    }
  });

  it('accepts a static bearer token, and refuses a wrong one without asking for a new token', async () => {
    stub = await start({ staticTokens: ['s3cret'] });
    const factory = airflowProviderFactory(FAST);
    const ok = factory.create(airflowConnector(factory.checkConfig({ base_url: stub.url, token: 's3cret' })));
    expect((await collect(ok.pipelines())).items.length).toBe(12);
    const bad = factory.create(airflowConnector(factory.checkConfig({ base_url: stub.url, token: 'nope', api_version: version })));
    expect(await failure(collect(bad.pipelines()))).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 401 });
    expect(stub.requests.some((r) => r.path === '/auth/token')).toBe(false);
  });

  it('says unavailable when the host refuses connections, with no status, after one attempt', async () => {
    stub = await start();
    const url = stub.url;
    await stub.close();
    const connects = jest.spyOn(HttpAgent.prototype, 'createConnection');
    try {
      const factory = airflowProviderFactory(FAST);
      const provider = factory.create(airflowConnector({ base_url: url, api_version: version }));
      expect(await failure(provider.check())).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null });
      // Refused is final: one connection attempt per call, no backoff.
      expect(connects).toHaveBeenCalledTimes(1);
      expect(await failure(collect(provider.pipelines()))).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null });
      expect(await failure(provider.trigger('d', { runId: 'r', conf: null, note: null, logicalDate: null }))).toMatchObject({
        kind: 'unavailable',
        status: null,
      });
      expect(connects).toHaveBeenCalledTimes(3);
    } finally {
      connects.mockRestore();
    }
    stub = await start();
  });
});

describe('Airflow 3 tokens', () => {
  let stub: AirflowStub;
  afterEach(() => stub.close());

  it('fetches a token on first use, shares it, and fetches a new one after a 401 when it expired', async () => {
    stub = await startAirflowStub({ apiVersion: 'v2', dags: 3, runs: 6, taskInstances: 12, tokenTtlMs: 60_000 });
    const factory = airflowProviderFactory(FAST);
    const config = factory.checkConfig({ base_url: stub.url, username: 'admin', password: 'admin', api_version: 'v2' });
    const a = factory.create(airflowConnector(config));
    expect(stub.tokensIssued()).toBe(0);
    await collect(a.pipelines());
    expect(stub.tokensIssued()).toBe(1);
    await collect(runsSince(factory.create(airflowConnector(config)), null));
    expect(stub.tokensIssued()).toBe(1);
    stub.expireTokens();
    const before = stub.requests.length;
    expect((await collect(taskRunsSince(a, null))).items).toHaveLength(12);
    expect(stub.tokensIssued()).toBe(2);
    const statuses = stub.requests.slice(before).filter((r) => /\/(dagRuns|taskInstances)$/.test(r.path));
    expect(statuses.map((r) => `${r.path.split('/').at(-1)} ${r.status}`)).toEqual(['dagRuns 401', 'dagRuns 200', 'taskInstances 200']);
    // A trigger refused for an expired token is sent again once with a fresh one.
    stub.expireTokens();
    const run = await a.trigger('dag_0000', { runId: 'signalbox__tok', conf: null, note: null, logicalDate: null });
    expect(run.externalId).toBe('signalbox__tok');
    expect(stub.tokensIssued()).toBe(3);
  });

  it('says PROVIDER_AUTH_FAILED when the token endpoint refuses the password', async () => {
    stub = await startAirflowStub({ apiVersion: 'v2', dags: 3, runs: 6, taskInstances: 12 });
    const f = await failure(providerFor(stub, { password: 'wrong' }).check());
    expect(f).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 401 });
    expect(stub.requests.filter((r) => r.path === '/auth/token')).toHaveLength(1);
  });
});
