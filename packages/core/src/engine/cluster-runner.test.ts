import type { Run } from '../run/run';
import { workflowNameOf } from '../run/run';
import { type World, world } from '../services/test-world';
import { FakeClusterEngine } from '../testing/fake-cluster-engine';
import { managedRunJobKey } from './embedded-engine';

const def = (fields: Record<string, unknown>) => ({ text: JSON.stringify(fields), format: 'json' as const });

const THREE_STEPS = [
  { name: 'events', query: 'SELECT * FROM raw_events WHERE day >= :since', job_type: 'extract' },
  { name: 'daily', query: 'SELECT day, count(*) AS n FROM events GROUP BY day', job_type: 'data-transform' },
  { name: 'load', query: 'SELECT * FROM daily', job_type: 'load' },
];

async function setting(fields: Record<string, unknown> = {}) {
  const engine = new FakeClusterEngine();
  const w = await world({ clusterEngine: engine });
  await w.services.connectors.create(w.root, 'acme', { name: 'cluster', type: 'argo', config: {} });
  const d = await w.services.managed.create(
    w.editor,
    'acme',
    def({ name: 'analytics', steps: THREE_STEPS, variables: { since: '2026-01-01' }, engine: 'cluster', ...fields }),
  );
  return { w, engine, pipeline: d.pipeline };
}

/** Lets the worker take every due job until the run has finished and its job is done. */
async function finished(w: World, run: Run, onTurn: (run: Run) => void = () => undefined): Promise<Run> {
  for (let i = 0; i < 500; i++) {
    await w.worker.poll();
    await w.worker.idle();
    const now = await w.repos.runs.get(run.spaceId, run.id);
    if (now) onTurn(now);
    if (now && ['success', 'failed', 'canceled'].includes(now.status) && !(await w.repos.jobs.get(managedRunJobKey(run.id)))) return now;
  }
  throw new Error(`run ${run.id} did not finish`);
}

const steps = async (w: World, run: Run) => Object.fromEntries((await w.repos.taskRuns.listForRun(run.spaceId, run.id)).map((t) => [t.taskId, t]));

describe('managed runs on a cluster engine', () => {
  it('submits the version under the run’s workflow name, follows its steps to the end, and keeps what was sent', async () => {
    const { w, engine, pipeline } = await setting();
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, { variables: { since: '2026-02-01' } });
    expect(run).toMatchObject({ status: 'queued', managed: { engine: { type: 'argo', manifest: null } } });
    const seen: string[] = [];
    const done = await finished(w, run, (r) => seen.push(`${r.status}:${r.managed?.progress.step}:${r.managed?.progress.steps_done}`));

    expect(engine.submissions).toHaveLength(1);
    const plan = engine.submissions[0];
    expect(plan).toMatchObject({ runId: run.id, name: workflowNameOf(run.id), pipeline: { id: pipeline.id, name: 'analytics' } });
    expect(plan.steps.map((s) => [s.name, s.dependsOn])).toEqual([
      ['events', []],
      ['daily', ['events']],
      ['load', ['daily']],
    ]);
    // Variables are bound parameters of the statement, never spliced into it.
    expect(plan.steps[0].statement).toMatchObject({ sql: expect.stringMatching(/day >=\s+\$1$/), params: ['2026-02-01'] });

    expect(done).toMatchObject({
      status: 'success',
      connectorId: expect.any(String),
      managed: {
        error: null,
        rowsLoaded: 5,
        progress: { steps_done: 3, steps_total: 3, step: 'load', stage: 'load', rows_processed: 15 },
        engine: { type: 'argo', manifest: { name: workflowNameOf(run.id) }, metadata: { uid: `uid-${run.id}` } },
      },
    });
    // Progress was written as the engine told it: each step seen running, then done.
    expect(seen).toEqual(expect.arrayContaining(['running:events:0', 'running:daily:1', 'running:load:2']));
    const t = await steps(w, run);
    expect([t.events.status, t.daily.status, t.load.status, t.load.rows, t.events.operator]).toEqual(['success', 'success', 'success', 5, 'extract']);
    expect(await w.repos.pipelines.get(pipeline.spaceId, pipeline.id)).toMatchObject({ lastRunStatus: 'success' });
    expect(w.telemetry.runs).toEqual([{ outcome: 'success', engine: 'cluster', durationMs: done.managed?.durationMs }]);
  });

  it('fails the run with the step that failed and the engine’s message; a retry submits a new workload of the remaining steps', async () => {
    const { w, engine, pipeline } = await setting();
    engine.failing.add('daily');
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'failed', managed: { error: { code: 'STEP_FAILED', step: 'daily', message: "step 'daily' failed: exit code 1" } } });
    const t = await steps(w, run);
    expect([t.events.status, t.daily.status, t.daily.error, t.load]).toEqual(['success', 'failed', 'exit code 1', undefined]);

    engine.failing.clear();
    const retried = await w.services.runs.retry(w.editor, 'acme', run.id);
    expect(retried.run.managed?.options.from_step).toBe('daily');
    expect((await finished(w, retried.run)).status).toBe('success');
    expect(engine.submissions.map((p) => [p.name, p.steps.map((s) => s.name)])).toEqual([
      [workflowNameOf(run.id), ['events', 'daily', 'load']],
      [workflowNameOf(retried.run.id), ['daily', 'load']],
    ]);
  });

  it('stops a running workload when the run is canceled, and ends it canceled', async () => {
    const { w, engine, pipeline } = await setting();
    engine.holding.add('daily');
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    for (let i = 0; i < 50 && (await steps(w, run)).daily?.status !== 'running'; i++) {
      await w.worker.poll();
      await w.worker.idle();
    }
    expect((await steps(w, run)).daily.status).toBe('running');
    await w.services.runs.cancel(w.editor, 'acme', run.id);
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'canceled', managed: { error: { code: 'RUN_CANCELED', step: 'daily' } } });
    expect(engine.stops).toEqual([{ name: workflowNameOf(run.id), message: 'canceled in Signalbox' }]);
    expect((await steps(w, run)).daily.status).toBe('failed');
    expect(w.telemetry.runs.map((r) => [r.outcome, r.engine])).toEqual([['canceled', 'cluster']]);
  });

  it('stops a workload past timeout_seconds and fails the run with RUN_TIMEOUT', async () => {
    const { w, engine, pipeline } = await setting({ timeout_seconds: 60 });
    engine.holding.add('events');
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    for (let i = 0; i < 5; i++) {
      await w.worker.poll();
      await w.worker.idle();
    }
    w.clock.advance(61_000);
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'failed', managed: { error: { code: 'RUN_TIMEOUT', step: 'events' } } });
    expect(engine.stops).toHaveLength(1);
  });

  it('validates a dry run with the engine, stores nothing there, and plans each step', async () => {
    const { w, engine, pipeline } = await setting();
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, { dryRun: true });
    const done = await finished(w, run);
    expect(done).toMatchObject({ status: 'success', managed: { options: { dry_run: true }, rowsLoaded: null, engine: { metadata: { dry_run: true } } } });
    expect(engine.workloads.size).toBe(0);
    const t = await steps(w, run);
    expect(t.daily).toMatchObject({ status: 'success', plan: { plan: { sql: expect.stringContaining('GROUP BY day') } } });
    // A dry run is not the pipeline's last run.
    expect((await w.repos.pipelines.get(pipeline.spaceId, pipeline.id))?.lastRunStatus).toBeNull();
  });

  it('adopts the workload of a submission whose answer was lost, never submitting a second', async () => {
    const { w, engine, pipeline } = await setting();
    engine.loseNextAnswer = true;
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    const done = await finished(w, run);
    expect(done.status).toBe('success');
    expect(engine.submissions).toHaveLength(1);
    expect(done.managed?.engine.metadata).toMatchObject({ adopted: true });
  });

  it('fails a run whose workload the engine no longer knows, saying so', async () => {
    const { w, engine, pipeline } = await setting();
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    await w.worker.poll();
    await w.worker.idle();
    expect(engine.workloads.delete(workflowNameOf(run.id))).toBe(true);
    const done = await finished(w, run);
    expect(done).toMatchObject({
      status: 'failed',
      managed: { error: { code: 'WORKLOAD_NOT_FOUND', message: expect.stringMatching(/^the engine no longer knows the run: /) } },
    });
  });

  it('waits out an unreachable engine instead of failing the run', async () => {
    const { w, engine, pipeline } = await setting();
    engine.down = true;
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    for (let i = 0; i < 5; i++) {
      await w.worker.poll();
      await w.worker.idle();
    }
    expect((await w.repos.runs.get(run.spaceId, run.id))?.status).toBe('running');
    engine.down = false;
    expect((await finished(w, run)).status).toBe('success');
  });

  it('accepts an engine that names an argo connector of the space, and refuses any other name at the field', async () => {
    const { w } = await setting();
    const check = (engine: string) => w.services.managed.validate(w.editor, 'acme', def({ name: 'x', steps: THREE_STEPS, engine }));
    expect((await check('cluster')).valid).toBe(true);
    const refused = await check('nowhere');
    expect(refused).toMatchObject({ valid: false, errors: [{ field: '/engine', reason: expect.stringContaining("('nowhere' is not one)") }] });
    await w.services.connectors.create(w.root, 'acme', { name: 'mocked', type: 'mock', config: {} });
    expect((await check('mocked')).valid).toBe(false);
  });

  it('fails a run whose engine connector was renamed away, with ENGINE_UNAVAILABLE', async () => {
    const { w, engine, pipeline } = await setting();
    const { run } = await w.services.runs.trigger(w.editor, 'acme', pipeline.id, {});
    const connector = await w.repos.connectors.getByName(run.spaceId, 'cluster');
    expect(await w.repos.connectors.update({ ...connector!, name: 'renamed' })).toBe(true);
    expect((await finished(w, run)).managed?.error?.code).toBe('ENGINE_UNAVAILABLE');
    expect(engine.submissions).toEqual([]);
  });
});
