import { type Connector, isDomainError, newConnector } from '@signalbox/core';
import { FakeClock, providerContract } from '@signalbox/core/testing';
import { generateFleet } from './fleet';
import { MOCK_CALLS_KEPT, MOCK_LIVE_RUNS_KEPT, MockProvider, MockProviderFactory, TRIGGERED_RUN_TIMELINE } from './mock-provider';

const config = { pipelines: 7, runsPerPipeline: 4, seed: 42 };

providerContract('MockProvider', async () => {
  const clock = new FakeClock();
  return { provider: new MockProvider(config, clock, 3), advance: (ms) => clock.advance(ms) };
});

const drain = async <T>(pages: AsyncIterable<T[]>) => {
  const out: T[][] = [];
  for await (const p of pages) out.push(p);
  return out;
};

describe('mock fleet', () => {
  it('is the same for the same seed and anchor, and differs for another seed', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(generateFleet(config, at)).toEqual(generateFleet(config, at));
    expect(generateFleet({ ...config, seed: 43 }, at).pipelines).not.toEqual(generateFleet(config, at).pipelines);
  });

  it('has the configured size, and 3 to 5 task runs a run', () => {
    const fleet = generateFleet(config, new Date());
    expect(fleet.pipelines).toHaveLength(7);
    expect(fleet.runs).toHaveLength(28);
    const perRun = new Map<string, number>();
    for (const t of fleet.taskRuns) perRun.set(t.runExternalId + t.pipelineExternalId, (perRun.get(t.runExternalId + t.pipelineExternalId) ?? 0) + 1);
    expect([...perRun.values()].every((n) => n >= 3 && n <= 5)).toBe(true);
    expect(perRun.size).toBe(28);
  });

  it('puts every run and task run in the past of its anchor', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const fleet = generateFleet({ pipelines: 50, runsPerPipeline: 6, seed: 3 }, at);
    const times = [...fleet.runs, ...fleet.taskRuns].flatMap((x) => [x.startedAt, x.finishedAt, x.updatedAt]);
    expect(times.filter((t) => t !== null && t.getTime() > at.getTime())).toEqual([]);
  });

  it('gives failed runs a failed task and successful runs only successful tasks', () => {
    const fleet = generateFleet({ pipelines: 40, runsPerPipeline: 5, seed: 7 }, new Date());
    for (const r of fleet.runs) {
      const tasks = fleet.taskRuns.filter((t) => t.pipelineExternalId === r.pipelineExternalId && t.runExternalId === r.externalId);
      if (r.status === 'failed') expect(tasks.some((t) => t.status === 'failed')).toBe(true);
      if (r.status === 'success') expect(tasks.every((t) => t.status === 'success')).toBe(true);
    }
    expect(fleet.runs.some((r) => r.status === 'failed')).toBe(true);
  });
});

describe('MockProvider', () => {
  it('pages with its cap whatever the size', async () => {
    const p = new MockProvider(config, new FakeClock(), 3);
    const pages = await drain(p.pipelines());
    expect(pages.map((x) => x.length)).toEqual([3, 3, 1]);
  });

  it('moves a triggered run from queued to running to success with the clock', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    const req = { runId: 'r1', conf: null, note: null, logicalDate: null };
    expect((await p.trigger(dag.externalId, req)).status).toBe('queued');
    clock.advance(TRIGGERED_RUN_TIMELINE.startAfterMs);
    expect((await p.getRun(dag.externalId, 'r1')).status).toBe('running');
    clock.advance(3 * TRIGGERED_RUN_TIMELINE.taskMs);
    const done = await p.getRun(dag.externalId, 'r1');
    expect(done.status).toBe('success');
    expect(done.durationSeconds).toBe((3 * TRIGGERED_RUN_TIMELINE.taskMs) / 1000);
  });

  it('fails a triggered run whose conf asks for it', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    await p.trigger(dag.externalId, { runId: 'r2', conf: { fail: true }, note: null, logicalDate: null });
    clock.advance(60_000);
    expect((await p.getRun(dag.externalId, 'r2')).status).toBe('failed');
  });

  /** The task runs of one run, by task id: [status, try number]. */
  const tasksOf = async (p: MockProvider, runId: string, pipelineExternalId?: string) => {
    const out: Record<string, [string, number]> = {};
    for await (const c of p.changes(null)) {
      if (c.kind !== 'taskRuns') continue;
      for (const t of c.taskRuns) {
        if (t.runExternalId === runId && (pipelineExternalId === undefined || t.pipelineExternalId === pipelineExternalId))
          out[t.taskId] = [t.status, t.tryNumber];
      }
    }
    return out;
  };

  it('cancels a running triggered run as Airflow does: the running task fails, the rest are skipped', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    await p.trigger(dag.externalId, { runId: 'c1', conf: null, note: null, logicalDate: null });
    clock.advance(TRIGGERED_RUN_TIMELINE.startAfterMs + TRIGGERED_RUN_TIMELINE.taskMs + 1_000);
    const at = clock.now();
    const run = await p.cancelRun(dag.externalId, 'c1');
    expect(run).toMatchObject({ status: 'failed', finishedAt: at, updatedAt: at });
    expect(await tasksOf(p, 'c1')).toEqual({ extract: ['success', 1], transform: ['failed', 1], load: ['skipped', 1] });
    // Time goes on; nothing moves any more.
    clock.advance(60_000);
    expect((await p.getRun(dag.externalId, 'c1')).status).toBe('failed');
    expect(await tasksOf(p, 'c1')).toEqual({ extract: ['success', 1], transform: ['failed', 1], load: ['skipped', 1] });
  });

  it('retries a cancelled run from its failed task: that task and the ones after it run again, with the next try', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    await p.trigger(dag.externalId, { runId: 'c2', conf: null, note: null, logicalDate: null });
    clock.advance(TRIGGERED_RUN_TIMELINE.startAfterMs + TRIGGERED_RUN_TIMELINE.taskMs + 1_000);
    await p.cancelRun(dag.externalId, 'c2');
    clock.advance(1_000);
    const retried = await p.retryRun(dag.externalId, 'c2');
    expect(retried).toMatchObject({ status: 'queued', queuedAt: clock.now(), startedAt: null, finishedAt: null });
    expect(await tasksOf(p, 'c2')).toEqual({ extract: ['success', 1], transform: ['pending', 2], load: ['pending', 2] });
    clock.advance(TRIGGERED_RUN_TIMELINE.startAfterMs + 2 * TRIGGERED_RUN_TIMELINE.taskMs);
    expect((await p.getRun(dag.externalId, 'c2')).status).toBe('success');
    expect(await tasksOf(p, 'c2')).toEqual({ extract: ['success', 1], transform: ['success', 2], load: ['success', 2] });
  });

  it('fails a retried run again when its conf asks for it, and leaves a run cancelled before it began as it is', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    await p.trigger(dag.externalId, { runId: 'c3', conf: { fail: true }, note: null, logicalDate: null });
    clock.advance(60_000);
    await p.retryRun(dag.externalId, 'c3');
    clock.advance(60_000);
    expect((await p.getRun(dag.externalId, 'c3')).status).toBe('failed');
    expect(await tasksOf(p, 'c3')).toEqual({ extract: ['success', 1], transform: ['success', 1], load: ['failed', 2] });
    // Cancelled while queued: every task skipped, none failed, so there is nothing to retry (as in Airflow).
    await p.trigger(dag.externalId, { runId: 'c4', conf: null, note: null, logicalDate: null });
    await p.cancelRun(dag.externalId, 'c4');
    expect((await p.retryRun(dag.externalId, 'c4')).status).toBe('failed');
    expect(await tasksOf(p, 'c4')).toEqual({ extract: ['skipped', 1], transform: ['skipped', 1], load: ['skipped', 1] });
  });

  it('cancels a running fleet run and retries a failed one, whose tasks from the failed one on then run with the clock', async () => {
    const clock = new FakeClock();
    const p = new MockProvider({ pipelines: 40, runsPerPipeline: 3, seed: 7 }, clock);
    const all = (
      await drain(
        (async function* () {
          for await (const c of p.changes(null)) if (c.kind === 'runs') yield c.runs;
        })(),
      )
    ).flat();
    const running = all.find((r) => r.status === 'running')!;
    const failed = all.find((r) => r.status === 'failed')!;
    const size = p.size.runs;

    expect((await p.cancelRun(running.pipelineExternalId, running.externalId)).status).toBe('failed');
    const canceled = Object.values(await tasksOf(p, running.externalId, running.pipelineExternalId)).map(([status]) => status);
    expect(canceled).toContain('failed');
    expect(canceled.every((x) => x === 'success' || x === 'failed' || x === 'skipped')).toBe(true);

    // In the order the tasks run (a listing orders them by update time).
    const inOrder = async (runId: string) => {
      const tasks = await tasksOf(p, runId, failed.pipelineExternalId);
      return ['extract', 'validate', 'transform', 'load', 'notify'].filter((id) => id in tasks).map((id) => [id, tasks[id]] as const);
    };
    const before = await inOrder(failed.externalId);
    const first = before.findIndex(([, [status]]) => status === 'failed');
    const run = await p.retryRun(failed.pipelineExternalId, failed.externalId);
    expect(run).toMatchObject({ status: 'queued', runType: failed.runType, logicalDate: failed.logicalDate });
    expect(p.size.runs).toBe(size);
    const after = await inOrder(failed.externalId);
    expect(after.map(([taskId]) => taskId)).toEqual(before.map(([taskId]) => taskId));
    expect(after.map(([, [status]]) => status)).toEqual(before.map(([, [status]], k) => (k < first ? status : 'pending')));
    clock.advance(TRIGGERED_RUN_TIMELINE.startAfterMs + after.length * TRIGGERED_RUN_TIMELINE.taskMs);
    expect((await p.getRun(failed.pipelineExternalId, failed.externalId)).status).toBe('success');
    const tries = (await inOrder(failed.externalId)).slice(first).map(([, [status, tryNumber]]) => [status, tryNumber]);
    const next = Math.max(...before.map(([, [, n]]) => n)) + 1;
    expect(tries).toEqual(tries.map(() => ['success', next]));
  });

  /** As the next sync does: asks for the changes since a listing made now (the cursor of a sync that succeeded). */
  const settle = async (p: MockProvider, clock: FakeClock) => {
    await p.changes(clock.now().toISOString())[Symbol.asyncIterator]().next();
  };
  /** Triggers runs of one pipeline by run id. */
  const triggerer =
    (p: MockProvider, pipelineExternalId: string) =>
    (runId: string, conf: Record<string, unknown> | null = null) =>
      p.trigger(pipelineExternalId, { runId, conf, note: null, logicalDate: null });

  it('keeps the latest triggered runs: past its retention it forgets the oldest that a sync has written, never one still going', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    const trigger = triggerer(p, dag.externalId);
    for (let i = 0; i < MOCK_LIVE_RUNS_KEPT; i++) await trigger(`k${i}`);
    const fleetRuns = p.size.runs - MOCK_LIVE_RUNS_KEPT;
    // One past the retention while every run is still going: none is forgotten.
    await settle(p, clock);
    await trigger('going');
    expect(p.size.runs).toBe(fleetRuns + MOCK_LIVE_RUNS_KEPT + 1);
    await expect(p.getRun(dag.externalId, 'k0')).resolves.toMatchObject({ status: 'queued' });
    // Finished, but no sync has listed them since: still none is forgotten.
    clock.advance(60_000);
    await trigger('unseen');
    expect(p.size.runs).toBe(fleetRuns + MOCK_LIVE_RUNS_KEPT + 2);
    // Once a sync has written them, the next trigger forgets the oldest down to the retention.
    await settle(p, clock);
    await p.retryRun(dag.externalId, 'k1'); // nothing failed: a retry that does nothing keeps its place
    await trigger('next');
    expect(p.size.runs).toBe(fleetRuns + MOCK_LIVE_RUNS_KEPT);
    for (const gone of ['k0', 'k1', 'k2']) await expect(p.getRun(dag.externalId, gone)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(p.getRun(dag.externalId, 'k3')).resolves.toMatchObject({ status: 'success' });
    await expect(p.getRun(dag.externalId, 'next')).resolves.toMatchObject({ status: 'queued' });
  });

  it('keeps a retried run as the newest: retention forgets the runs triggered after it first', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    const trigger = triggerer(p, dag.externalId);
    await trigger('retried', { fail: true });
    for (let i = 1; i < MOCK_LIVE_RUNS_KEPT; i++) await trigger(`k${i}`);
    clock.advance(60_000);
    await p.retryRun(dag.externalId, 'retried');
    clock.advance(60_000);
    await settle(p, clock);
    await trigger('next');
    await expect(p.getRun(dag.externalId, 'retried')).resolves.toMatchObject({ status: 'failed' });
    await expect(p.getRun(dag.externalId, 'k1')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('forgets the oldest written run when a fleet run is retried past the retention', async () => {
    const clock = new FakeClock();
    const p = new MockProvider({ pipelines: 40, runsPerPipeline: 3, seed: 7 }, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    const trigger = triggerer(p, dag.externalId);
    for (let i = 0; i < MOCK_LIVE_RUNS_KEPT; i++) await trigger(`k${i}`);
    const failed = [];
    for await (const c of p.changes(null)) if (c.kind === 'runs') failed.push(...c.runs.filter((r) => r.status === 'failed'));
    clock.advance(60_000);
    await settle(p, clock);
    const size = p.size.runs;
    await p.retryRun(failed[0].pipelineExternalId, failed[0].externalId);
    expect(p.size.runs).toBe(size - 1);
    await expect(p.getRun(dag.externalId, 'k0')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('keeps no object a caller holds: the conf it was given, and the dates it answered', async () => {
    const clock = new FakeClock();
    const p = new MockProvider(config, clock);
    const [dag] = (await drain(p.pipelines()))[0];
    const conf = { table: 'orders' };
    const logicalDate = new Date('2026-01-01T00:00:00Z');
    const run = await p.trigger(dag.externalId, { runId: 'own', conf, note: null, logicalDate });
    const queuedAt = run.queuedAt?.getTime();
    conf.table = 'changed';
    logicalDate.setUTCFullYear(2000);
    run.queuedAt?.setUTCFullYear(2000);
    run.logicalDate?.setUTCFullYear(2000);
    const again = await p.getRun(dag.externalId, 'own');
    expect(again.conf).toEqual({ table: 'orders' });
    expect(again.logicalDate?.getUTCFullYear()).toBe(2026);
    expect(again.queuedAt?.getTime()).toBe(queuedAt);
  });

  it('remembers its latest calls only', async () => {
    const p = new MockProvider(config, new FakeClock());
    for (let i = 0; i < MOCK_CALLS_KEPT + 5; i++) await p.check();
    await p.setPaused((await drain(p.pipelines()))[0][0].externalId, true);
    expect(p.calls).toHaveLength(MOCK_CALLS_KEPT);
    expect(p.calls.at(-1)?.method).toBe('setPaused');
  });

  it('serves pages that are copies: changing one changes nothing it serves later', async () => {
    const p = new MockProvider(config, new FakeClock(), 3);
    const [first] = await drain(p.pipelines());
    first[0].name = 'changed by the caller';
    const [again] = await drain(p.pipelines());
    expect(again[0].name).not.toBe('changed by the caller');
  });

  it('fails the next calls with an injected fault, keeping the status', async () => {
    const p = new MockProvider(config, new FakeClock());
    p.failNext({ status: 503, message: 'scheduler down', times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await p.check().catch((e: unknown) => e);
      expect(isDomainError(err) && err.kind).toBe('unavailable');
      expect(isDomainError(err) && err.provider).toEqual({ name: 'mock', status: 503, message: 'scheduler down' });
    }
    await expect(p.check()).resolves.toMatchObject({ name: 'mock' });
  });

  it('fails half way through a listing when a fault is injected after the first page', async () => {
    const p = new MockProvider(config, new FakeClock(), 3);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const page of p.pipelines()) {
        seen.push(page.length);
        p.failNext({ status: 500, message: 'boom' });
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual([3]);
    expect(isDomainError(err) && err.kind).toBe('bad_gateway');
  });
});

describe('MockProviderFactory', () => {
  const connector = (cfg: Record<string, unknown>): Connector => newConnector({ id: 'c1', spaceId: 's1', name: 'mock', type: 'mock', config: cfg }, new Date());

  it('fills defaults and names the bad field', () => {
    const f = new MockProviderFactory(new FakeClock());
    expect(f.checkConfig({})).toEqual({ pipelines: 25, runs_per_pipeline: 10, seed: 1, page_cap: 100 });
    expect(f.checkConfig({ page_delay_ms: 250 })).toMatchObject({ page_delay_ms: 250 });
    expect(() => f.checkConfig({ page_delay_ms: -1 })).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ field: 'config.page_delay_ms' })] }),
    );
    expect(() => f.checkConfig({ pipelines: 0 })).toThrow(
      expect.objectContaining({ kind: 'invalid', details: [expect.objectContaining({ field: 'config.pipelines' })] }),
    );
    expect(() => f.checkConfig({ base_url: 'x' })).toThrow(expect.objectContaining({ details: [expect.objectContaining({ field: 'config.base_url' })] }));
  });

  it('waits page_delay_ms before every page when set', async () => {
    const f = new MockProviderFactory(new FakeClock());
    const slow = f.create(connector({ pipelines: 3, page_cap: 1, page_delay_ms: 40 }));
    const t0 = Date.now();
    let pages = 0;
    for await (const _ of slow.pipelines()) pages++;
    expect(pages).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 40 - 5);
  });

  it('keeps one provider per connector until the config changes', () => {
    const f = new MockProviderFactory(new FakeClock());
    const a = f.create(connector({ pipelines: 3 }));
    expect(f.create(connector({ pipelines: 3 }))).toBe(a);
    expect(f.instance('c1')).toBe(a);
    expect(f.create(connector({ pipelines: 4 }))).not.toBe(a);
  });
});
