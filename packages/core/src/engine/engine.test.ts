import { ManagedScheduleTask } from '../background/handlers/managed-schedule';
import type { Job } from '../background/job-queue';
import { silentLogger } from '../ports/system';
import { WarehouseError } from '../ports/warehouse';
import type { Run } from '../run/run';
import { dag, HOUR, syncAcme, type World, world } from '../services/test-world';
import { gate } from '../testing/fake-warehouse';
import { MANAGED_RUN_JOB, managedRunJobKey } from './embedded-engine';

const def = (fields: Record<string, unknown>) => ({ text: JSON.stringify(fields), format: 'json' as const });

/** extract → transform → load, the load step writing `analytics.daily`. */
const THREE_STEPS = [
  { name: 'events', query: 'SELECT * FROM raw_events WHERE day >= :since', job_type: 'extract' },
  { name: 'daily', query: 'SELECT day, count(*) AS n FROM events GROUP BY day', job_type: 'data-transform' },
  { name: 'load', query: 'SELECT * FROM daily', job_type: 'load', mode: 'append' },
];

async function pipeline(w: World, fields: Record<string, unknown> = {}) {
  const d = await w.services.managed.create(w.editor, 'acme', def({ name: 'analytics', steps: THREE_STEPS, variables: { since: '2026-01-01' }, ...fields }));
  return d.pipeline;
}

/** Lets the worker take every due job, and waits until the run has finished. */
async function finished(w: World, run: Run): Promise<Run> {
  for (let i = 0; i < 2000; i++) {
    await w.worker.poll();
    const now = await w.repos.runs.get(run.spaceId, run.id);
    // Finished, and its job done (other runs' jobs may still run).
    if (now && ['success', 'failed', 'canceled'].includes(now.status) && !(await w.repos.jobs.get(managedRunJobKey(run.id)))) return now;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`run ${run.id} did not finish`);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('condition never held');
}

const steps = async (w: World, run: Run) => Object.fromEntries((await w.repos.taskRuns.listForRun(run.spaceId, run.id)).map((t) => [t.taskId, t]));

describe('the embedded engine', () => {
  it('queues a trigger with its options and version, then runs the steps in order, recording rows, progress and rows loaded', async () => {
    const w = await world();
    const p = await pipeline(w);
    w.warehouses.step('events', { rows: 10 }).step('daily', { rows: 3 }).step('load', { rows: 3 });
    const { run, created } = await w.services.runs.trigger(w.editor, 'acme', p.id, { note: 'first' });
    expect(created).toBe(true);
    expect(run).toMatchObject({
      origin: 'managed',
      status: 'queued',
      connectorId: null,
      runType: 'manual',
      triggeredBy: w.editor.userId,
      managed: {
        pipelineVersionId: p.managed?.currentVersion.id,
        options: { full_refresh: false, dry_run: false, variables: { since: '2026-01-01' }, from_step: null },
        progress: { stage: 'queued', step: null, rows_processed: 0, steps_done: 0, steps_total: 3 },
        engine: { type: 'embedded' },
        error: null,
      },
    });
    expect(await w.repos.jobs.get(managedRunJobKey(run.id))).toMatchObject({ name: MANAGED_RUN_JOB });

    const done = await finished(w, run);
    expect(done).toMatchObject({
      status: 'success',
      managed: { progress: { stage: 'load', step: 'load', rows_processed: 16, steps_done: 3, steps_total: 3 }, rowsLoaded: 3, error: null },
    });
    expect(done.startedAt).not.toBeNull();
    expect(done.managed?.durationMs).toEqual(expect.any(Number));
    expect(w.telemetry.runs).toEqual([{ outcome: 'success', engine: 'embedded', durationMs: done.managed?.durationMs }]);
    expect(w.warehouses.calls.map((c) => c.step.step)).toEqual(['events', 'daily', 'load']);
    // In the order the version runs them.
    const { taskRuns } = await w.services.runs.get(w.viewer, 'acme', run.id);
    expect(taskRuns.map((x) => [x.taskId, x.status, x.rows, x.operator])).toEqual([
      ['events', 'success', 10, 'extract'],
      ['daily', 'success', 3, 'data-transform'],
      ['load', 'success', 3, 'load'],
    ]);
    // The job is done, and the pipeline shows the run.
    expect(await w.repos.jobs.get(managedRunJobKey(run.id))).toBeUndefined();
    expect(await w.repos.pipelines.get(p.spaceId, p.id)).toMatchObject({ lastRunStatus: 'success' });
  });

  it('binds variables as parameters, with the version defaults and the trigger values; datasets go to the staging schema', async () => {
    const w = await world();
    const p = await pipeline(w);
    const hostile = "'; drop table x; --";
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, { variables: { since: hostile } });
    await finished(w, run);
    const [events] = w.warehouses.executed('events');
    expect(events.sql).toBe('SELECT * FROM raw_events WHERE day >=  $1');
    expect(events.params).toEqual([hostile]);
    expect(events.output?.schema).toMatch(/^staging_analytics_([0-9a-f]{8}|[0-9a-f]{12})$/);
    expect(events.searchPath).toEqual([events.output?.schema, 'public']);
    expect(w.warehouses.executed('load')[0]).toMatchObject({ mode: 'append', output: { name: 'load' } });
  });

  it('refuses an unknown variable, a value that is not a scalar, an unknown from_step or version, naming the field', async () => {
    const w = await world();
    const p = await pipeline(w);
    const trigger = (input: object) => w.services.runs.trigger(w.editor, 'acme', p.id, input);
    await expect(trigger({ variables: { nope: 1 } })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'variables.nope' }] });
    await expect(trigger({ variables: { since: { a: 1 } } })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'variables.since' }] });
    await expect(trigger({ fromStep: 'nope' })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'from_step' }] });
    await expect(trigger({ versionId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'version_id' }] });
    await expect(trigger({ conf: { a: 1 } })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'conf' }] });
    expect((await w.repos.runs.listForPipeline(p.spaceId, p.id, {}, { page: 1, perPage: 10 })).total).toBe(0);
  });

  it('refuses managed options on a synced pipeline', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl')];
    await syncAcme(w);
    const [synced] = (
      await w.repos.pipelines.list(w.acme.id, { filter: {}, page: { page: 1, perPage: 10 }, viewerId: w.admin.userId, since: new Date(0), days: 7 })
    ).items;
    await expect(w.services.runs.trigger(w.editor, 'acme', synced.pipeline.id, { dryRun: true })).rejects.toMatchObject({
      kind: 'invalid',
      details: [{ field: 'dry_run' }],
    });
  });

  it('runs from from_step on, and a full refresh replaces every table', async () => {
    const w = await world();
    const p = await pipeline(w);
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, { fromStep: 'daily', fullRefresh: true });
    expect(run.managed?.progress.steps_total).toBe(2);
    const done = await finished(w, run);
    expect(done.status).toBe('success');
    expect(w.warehouses.calls.map((c) => [c.step.step, c.step.mode])).toEqual([
      ['daily', 'replace'],
      ['load', 'replace'],
    ]);
  });

  it('fails a run with the step name and the database message; later steps never run; earlier outputs stay', async () => {
    const w = await world();
    const p = await pipeline(w);
    w.warehouses.step('daily', { fail: new WarehouseError('STEP_FAILED', 'division by zero', '22012') });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const done = await finished(w, run);
    expect(done).toMatchObject({
      status: 'failed',
      managed: { error: { code: 'STEP_FAILED', step: 'daily', message: "step 'daily' failed: division by zero" } },
    });
    const t = await steps(w, run);
    expect([t.events.status, t.daily.status, t.daily.error, t.load.status]).toEqual(['success', 'failed', 'division by zero', 'upstream_failed']);
    expect(w.warehouses.executed('load')).toEqual([]);
    expect(await w.repos.pipelines.get(p.spaceId, p.id)).toMatchObject({ lastRunStatus: 'failed' });
    expect(w.telemetry.runs.map((r) => [r.outcome, r.engine])).toEqual([['failed', 'embedded']]);
  });

  it('fails at once with WAREHOUSE_UNREACHABLE and does not try again by itself', async () => {
    const w = await world();
    const p = await pipeline(w);
    w.warehouses.unreachable = true;
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'failed', managed: { error: { code: 'WAREHOUSE_UNREACHABLE' } } });
    expect(await w.repos.jobs.get(managedRunJobKey(run.id))).toBeUndefined();
  });

  describe('incremental sources', () => {
    const incremental = [
      { name: 'events', query: 'SELECT * FROM raw WHERE ts > :last_cursor', job_type: 'extract', incremental: { cursor_column: 'ts' } },
      THREE_STEPS[2],
    ];

    it('see the cursor of the last successful run, committed only when a run succeeds; a full refresh sees null', async () => {
      const w = await world();
      const p = await pipeline(w, { steps: incremental, variables: {} });
      w.warehouses.step('events', { cursor: '2026-03-01 10:00:00+00' });
      await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, {})).run);
      expect(w.warehouses.executed('events')[0].params).toEqual([null]);
      expect(await w.repos.pipelines.incrementalState(p.spaceId, p.id)).toEqual({ events: '2026-03-01 10:00:00+00' });

      // A run that fails after its source ran commits nothing.
      w.warehouses.step('events', { cursor: '2026-03-01 11:00:00+00' }).step('load', { fail: new WarehouseError('STEP_FAILED', 'boom') });
      await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, {})).run);
      expect(w.warehouses.executed('events')[1].params).toEqual(['2026-03-01 10:00:00+00']);
      expect(await w.repos.pipelines.incrementalState(p.spaceId, p.id)).toEqual({ events: '2026-03-01 10:00:00+00' });

      w.warehouses.step('load', {});
      await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, { fullRefresh: true })).run);
      expect(w.warehouses.executed('events')[2].params).toEqual([null]);
      expect(await w.repos.pipelines.incrementalState(p.spaceId, p.id)).toEqual({ events: '2026-03-01 11:00:00+00' });
    });
  });

  describe('dry runs', () => {
    it('plan every step and execute none; each step keeps its plan; no cursor moves', async () => {
      const w = await world();
      const p = await pipeline(w);
      w.warehouses.step('events', { rows: 42 });
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, { dryRun: true });
      const done = await finished(w, run);
      expect(done).toMatchObject({ status: 'success', managed: { options: { dry_run: true }, rowsLoaded: null, progress: { steps_done: 3 } } });
      expect(w.warehouses.calls).toEqual([]);
      expect(w.warehouses.plans.map((x) => x.steps.map((s) => s.step))).toEqual([['events', 'daily', 'load']]);
      expect((await steps(w, run)).events).toMatchObject({ status: 'success', plan: { estimatedRows: 42 } });
    });

    it('never wait behind max_active_runs', async () => {
      const w = await world();
      const p = await pipeline(w);
      const hold = gate();
      w.warehouses.step('events', { gate: hold.promise });
      const { run: first } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      await w.worker.poll();
      await until(async () => (await w.repos.runs.get(first.spaceId, first.id))?.status === 'running');
      const dry = await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, { dryRun: true })).run);
      expect(dry.status).toBe('success');
      hold.open();
      expect((await finished(w, first)).status).toBe('success');
    });
  });

  describe('max_active_runs', () => {
    it('queues a trigger over the limit until a running run finishes, first come first served', async () => {
      const w = await world();
      const p = await pipeline(w);
      const hold = gate();
      w.warehouses.step('events', { gate: hold.promise });
      const { run: first } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      const { run: second } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      await w.worker.poll();
      await until(async () => (await w.repos.runs.get(first.spaceId, first.id))?.status === 'running');
      for (let i = 0; i < 5; i++) await w.worker.poll();
      expect((await w.repos.runs.get(second.spaceId, second.id))?.status).toBe('queued');
      hold.open();
      await finished(w, first);
      expect((await finished(w, second)).status).toBe('success');
    });
  });

  describe('cancel', () => {
    it('cancels a queued run at once; its job then does nothing', async () => {
      const w = await world();
      const p = await pipeline(w);
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      const canceled = await w.services.runs.cancel(w.editor, 'acme', run.id);
      expect(canceled.status).toBe('canceled');
      await w.worker.poll();
      await w.worker.idle();
      expect(w.warehouses.calls).toEqual([]);
      await expect(w.services.runs.cancel(w.editor, 'acme', run.id)).rejects.toMatchObject({ kind: 'conflict', code: 'RUN_FINISHED' });
    });

    it('stops a running statement and skips the steps after it', async () => {
      const w = await world();
      const p = await pipeline(w);
      w.warehouses.step('daily', { gate: new Promise(() => undefined) });
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      await w.worker.poll();
      await until(async () => (await steps(w, run)).daily?.status === 'running');
      await w.services.runs.cancel(w.editor, 'acme', run.id);
      const done = await finished(w, run);
      expect(done).toMatchObject({ status: 'canceled', managed: { error: { code: 'RUN_CANCELED', step: 'daily' } } });
      const t = await steps(w, run);
      expect([t.events.status, t.daily.status, t.load.status]).toEqual(['success', 'failed', 'skipped']);
    });

    it('is refused to a viewer', async () => {
      const w = await world();
      const p = await pipeline(w);
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      await expect(w.services.runs.cancel(w.viewer, 'acme', run.id)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  it('fails a run past timeout_seconds with RUN_TIMEOUT, its statement stopped', async () => {
    const w = await world();
    const p = await pipeline(w, { timeout_seconds: 1 });
    w.warehouses.step('daily', { gate: new Promise(() => undefined) });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'failed', managed: { error: { code: 'RUN_TIMEOUT', step: 'daily' } } });
    expect((await steps(w, run)).load.status).toBe('upstream_failed');
  });

  describe('retry', () => {
    it('starts a new run of the same version and options from the first step that failed', async () => {
      const w = await world();
      const p = await pipeline(w);
      w.warehouses.step('daily', { fail: new WarehouseError('STEP_FAILED', 'boom') });
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, { variables: { since: '2026-02-01' } });
      await finished(w, run);
      w.warehouses.step('daily', {});
      const retried = await w.services.runs.retry(w.editor, 'acme', run.id);
      expect(retried.created).toBe(true);
      expect(retried.run.id).not.toBe(run.id);
      expect(retried.run.managed).toMatchObject({
        pipelineVersionId: run.managed?.pipelineVersionId,
        options: { from_step: 'daily', variables: { since: '2026-02-01' } },
      });
      expect((await finished(w, retried.run)).status).toBe('success');
      expect(w.warehouses.executed('events')).toHaveLength(1);
      expect(w.warehouses.executed('daily')).toHaveLength(2);
    });

    it('is refused for a run that has not finished, and for one that succeeded without from_step', async () => {
      const w = await world();
      const p = await pipeline(w);
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      await expect(w.services.runs.retry(w.editor, 'acme', run.id)).rejects.toMatchObject({ code: 'RUN_NOT_FINISHED' });
      await finished(w, run);
      await expect(w.services.runs.retry(w.editor, 'acme', run.id)).rejects.toMatchObject({ code: 'RUN_SUCCEEDED' });
      const again = await w.services.runs.retry(w.editor, 'acme', run.id, { fromStep: 'load' });
      expect(again.run.managed?.options.from_step).toBe('load');
    });
  });

  it('resumes a run whose worker gave it up at the step that was running, without running earlier steps again', async () => {
    const w = await world();
    const p = await pipeline(w);
    w.warehouses.step('daily', { gate: new Promise(() => undefined) });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const job = (await w.repos.jobs.get(managedRunJobKey(run.id))) as Job;
    const engine = w.services.engine!;
    const lost = new AbortController();
    const first = engine.execute(job, lost.signal);
    await until(async () => (await steps(w, run)).daily?.status === 'running');
    lost.abort('lease-lost');
    await expect(first).rejects.toBeDefined();
    // Left running for whoever takes the job next.
    expect((await w.repos.runs.get(run.spaceId, run.id))?.status).toBe('running');

    w.warehouses.step('daily', { rows: 7 });
    await engine.execute(job, new AbortController().signal);
    const done = (await w.repos.runs.get(run.spaceId, run.id))!;
    expect(done).toMatchObject({ status: 'success', managed: { progress: { steps_done: 3 } } });
    expect(w.warehouses.executed('events')).toHaveLength(1);
    expect(w.warehouses.executed('daily')).toHaveLength(2);
    expect((await steps(w, run)).daily).toMatchObject({ status: 'success', rows: 7 });
  });

  it('keeps the cursor of an incremental source that ran before a takeover, read back from the warehouse', async () => {
    const w = await world();
    const p = await pipeline(w, {
      steps: [
        { name: 'events', query: 'SELECT * FROM raw WHERE ts > :last_cursor', job_type: 'extract', incremental: { cursor_column: 'ts' } },
        THREE_STEPS[1],
      ],
      variables: {},
    });
    w.warehouses.step('events', { cursor: '2026-03-01 09:00:00+00' }).step('daily', { gate: new Promise(() => undefined) });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const job = (await w.repos.jobs.get(managedRunJobKey(run.id))) as Job;
    const lost = new AbortController();
    const first = w.services.engine!.execute(job, lost.signal);
    await until(async () => (await steps(w, run)).daily?.status === 'running');
    lost.abort('lease-lost');
    await expect(first).rejects.toBeDefined();

    w.warehouses.step('daily', {});
    await w.services.engine!.execute(job, new AbortController().signal);
    expect((await w.repos.runs.get(run.spaceId, run.id))?.status).toBe('success');
    expect(w.warehouses.executed('events')).toHaveLength(1);
    expect(await w.repos.pipelines.incrementalState(p.spaceId, p.id)).toEqual({ events: '2026-03-01 09:00:00+00' });
  });

  describe('never leaves a run stuck', () => {
    it('fails the run when its bookkeeping fails, the running step with it, and does not try again by itself', async () => {
      const w = await world();
      const p = await pipeline(w);
      const update = w.repos.runs.updateManaged.bind(w.repos.runs);
      let calls = 0;
      w.repos.runs.updateManaged = async (...args) => {
        if (++calls === 2) throw new Error('the database went away');
        return update(...args);
      };
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      const done = await finished(w, run);
      expect(done).toMatchObject({ status: 'failed', managed: { error: { code: 'ENGINE_ERROR', message: 'the run failed: the database went away' } } });
      const t = await steps(w, run);
      expect(Object.values(t).filter((x) => x.status === 'running')).toEqual([]);
      expect(await w.repos.jobs.get(managedRunJobKey(run.id))).toBeUndefined();
    });

    it('fails a queued or running run whose job is gone for good (RUN_ABANDONED), once', async () => {
      const w = await world();
      const p = await pipeline(w);
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      const { run: kept } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      // A job that failed its last attempt is removed, and nothing will run its run.
      const job = (await w.repos.jobs.get(managedRunJobKey(run.id))) as Job;
      const [claimed] = await w.repos.jobs.claim([MANAGED_RUN_JOB], 'tok', w.clock.now(), new Date(w.clock.now().getTime() + 60_000), 1);
      expect(claimed.id).toBe(job.id);
      await w.repos.jobs.fail(job.id, 'tok', 'boom', null);
      await w.services.engine!.abandonOrphans();
      await w.services.engine!.abandonOrphans();
      expect(await w.repos.runs.get(run.spaceId, run.id)).toMatchObject({ status: 'failed', managed: { error: { code: 'RUN_ABANDONED' } } });
      // A run with its job is left alone.
      expect((await w.repos.runs.get(kept.spaceId, kept.id))?.status).toBe('queued');
    });

    it('lets a worker that lost the run change nothing once another worker finished it', async () => {
      const w = await world();
      const p = await pipeline(w);
      const hold = gate();
      w.warehouses.step('daily', { gate: hold.promise, rows: 99 });
      const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
      const job = (await w.repos.jobs.get(managedRunJobKey(run.id))) as Job;
      // This worker never hears that its lease ran out.
      const late = w.services.engine!.execute(job, new AbortController().signal);
      await until(async () => (await steps(w, run)).daily?.status === 'running');
      // Another worker took the run over and finished it.
      await w.repos.runs.updateManaged(run.spaceId, run.id, { status: 'success', finishedAt: w.clock.now() }, w.clock.now());
      hold.open();
      await late;
      const t = await steps(w, run);
      expect([t.daily.status, t.daily.rows, t.load]).toEqual(['running', null, undefined]);
      expect(w.warehouses.executed('load')).toEqual([]);
      expect((await w.repos.runs.get(run.spaceId, run.id))?.status).toBe('success');
    });
  });

  it('leaves the pipeline status to real runs: a dry run is not its last run', async () => {
    const w = await world();
    const p = await pipeline(w);
    w.warehouses.step('daily', { fail: new WarehouseError('STEP_FAILED', 'boom') });
    await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, {})).run);
    w.warehouses.step('daily', {});
    await finished(w, (await w.services.runs.trigger(w.editor, 'acme', p.id, { dryRun: true })).run);
    expect(await w.repos.pipelines.get(p.spaceId, p.id)).toMatchObject({ lastRunStatus: 'failed' });
  });

  it('replays a trigger with the same idempotency key and body after a new version', async () => {
    const w = await world();
    const p = await pipeline(w);
    const first = await w.services.runs.trigger(w.editor, 'acme', p.id, { idempotencyKey: 'k2', variables: { since: '2026-02-01' } });
    await w.services.managed.update(w.editor, 'acme', p.id, def({ name: 'analytics', steps: THREE_STEPS, variables: { since: '2025-01-01' } }));
    const again = await w.services.runs.trigger(w.editor, 'acme', p.id, { idempotencyKey: 'k2', variables: { since: '2026-02-01' } });
    expect([again.created, again.run.id]).toEqual([false, first.run.id]);
  });

  it('replays a trigger with the same idempotency key, and refuses the key with other options', async () => {
    const w = await world();
    const p = await pipeline(w);
    const first = await w.services.runs.trigger(w.editor, 'acme', p.id, { idempotencyKey: 'k1', fullRefresh: true });
    const again = await w.services.runs.trigger(w.editor, 'acme', p.id, { idempotencyKey: 'k1', fullRefresh: true });
    expect([first.created, again.created, again.run.id]).toEqual([true, false, first.run.id]);
    await expect(w.services.runs.trigger(w.editor, 'acme', p.id, { idempotencyKey: 'k1' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('answers a wait as soon as the run finishes, and after the time otherwise', async () => {
    const w = await world();
    const p = await pipeline(w);
    const hold = gate();
    w.warehouses.step('load', { gate: hold.promise });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    await w.worker.poll();
    const t0 = Date.now();
    expect((await w.services.runs.get(w.viewer, 'acme', run.id, { seconds: 1 })).run.status).toBe('running');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    setTimeout(() => hold.open(), 100);
    const waited = await w.services.runs.get(w.viewer, 'acme', run.id, { seconds: 30 });
    expect(waited.run.status).toBe('success');
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect(w.services.runs.get(w.viewer, 'acme', run.id, { seconds: 61 })).rejects.toMatchObject({ details: [{ field: 'wait_seconds' }] });
    // A caller that went away ends its wait.
    const { run: other } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    const gone = new AbortController();
    setTimeout(() => gone.abort(), 100);
    const t1 = Date.now();
    expect((await w.services.runs.get(w.viewer, 'acme', other.id, { seconds: 30, signal: gone.signal })).run.status).not.toBe('success');
    expect(Date.now() - t1).toBeLessThan(2000);
  });

  it('answers a wait with changedSince as soon as the run is written after that time, finished or not', async () => {
    const w = await world();
    const p = await pipeline(w);
    const daily = gate();
    const load = gate();
    w.warehouses.step('daily', { gate: daily.promise }).step('load', { gate: load.promise });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    await w.worker.poll();
    await until(async () => (await w.repos.runs.get(run.spaceId, run.id))?.managed?.progress.step === 'daily');
    const seen = (await w.services.runs.get(w.viewer, 'acme', run.id)).run;
    // Written after what the caller saw: at once.
    const older = new Date(seen.updatedAt.getTime() - 1);
    const t0 = Date.now();
    expect((await w.services.runs.get(w.viewer, 'acme', run.id, { seconds: 30, changedSince: older })).run.managed?.progress.step).toBe('daily');
    expect(Date.now() - t0).toBeLessThan(2000);
    // Nothing new: the wait lasts until the next write, the next step's start.
    w.clock.advance(1000);
    setTimeout(() => daily.open(), 300);
    const next = await w.services.runs.get(w.viewer, 'acme', run.id, { seconds: 30, changedSince: seen.updatedAt });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(next.run.status).toBe('running');
    expect(next.run.updatedAt.getTime()).toBeGreaterThan(seen.updatedAt.getTime());
    expect(next.run.managed?.progress.steps_done).toBeGreaterThan(seen.managed?.progress.steps_done ?? 0);
    load.open();
    expect((await finished(w, run)).status).toBe('success');
  });

  it('queues one scheduled run per due tick', async () => {
    const w = await world();
    const p = await pipeline(w, { schedule: '0 * * * *' });
    w.clock.advance(HOUR);
    await new ManagedScheduleTask(w.repos.pipelines, w.cron, silentLogger, (x, tick) => w.services.runs.triggerScheduled(x, tick)).run(w.clock.now());
    await new ManagedScheduleTask(w.repos.pipelines, w.cron, silentLogger, (x, tick) => w.services.runs.triggerScheduled(x, tick)).run(w.clock.now());
    const runs = (await w.repos.runs.listForPipeline(p.spaceId, p.id, {}, { page: 1, perPage: 10 })).items;
    expect(runs.map((r) => [r.runType, r.triggeredBy])).toEqual([['scheduled', null]]);
  });

  it('refuses the embedded warehouse where it is not available, and an unknown warehouse connector', async () => {
    const w = await world();
    await expect(pipeline(w, { warehouse: 'nope' })).rejects.toMatchObject({ details: [expect.objectContaining({ field: '/warehouse' })] });
    const wh = await w.services.connectors.create(w.root, 'acme', { name: 'wh', type: 'warehouse', config: { url: 'postgres://u:secret@db.example:5432/dw' } });
    expect(wh.config).toEqual({ url: 'postgres://u@db.example:5432/dw', password: 'secret' });
    const p = await pipeline(w, { warehouse: 'wh' });
    const { run } = await w.services.runs.trigger(w.editor, 'acme', p.id, {});
    await finished(w, run);
    expect(w.warehouses.calls[0].target).toEqual({
      kind: 'connector',
      spaceId: w.acme.id,
      connectorId: wh.id,
      url: 'postgres://u@db.example:5432/dw',
      password: 'secret',
    });
    await expect(w.services.syncs.start(w.admin, 'acme', wh.id)).rejects.toMatchObject({ kind: 'conflict', code: 'CONNECTOR_NOT_SYNCABLE' });
    // Nothing to sync, so nothing to schedule.
    await expect(w.services.connectors.update(w.root, 'acme', wh.id, { syncIntervalSeconds: 60 })).rejects.toMatchObject({
      details: [{ field: 'sync_interval_seconds' }],
    });
    await expect(
      w.services.connectors.create(w.root, 'acme', { name: 'wh2', type: 'warehouse', config: { url: 'postgres://db.example/dw' }, syncIntervalSeconds: 60 }),
    ).rejects.toMatchObject({ details: [{ field: 'sync_interval_seconds' }] });
  });
});
