import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, providerTaskRun, syncAcme, world } from './test-world';

async function synced() {
  const w = await world();
  const base = new Date(w.clock.now().getTime() - 10 * HOUR);
  const runs = [0, 1, 2, 3].map((i) =>
    providerRun(
      'etl',
      `r${i}`,
      new Date(base.getTime() + i * HOUR),
      i === 2 ? { status: 'failed', nativeStatus: 'failed' } : i === 3 ? { runType: 'manual' } : {},
    ),
  );
  w.provider.pipelineList = [dag('etl'), dag('gone')];
  w.provider.runList = runs;
  w.provider.taskRunList = [providerTaskRun(runs[0], 'load', { startedAt: new Date(base.getTime() + 60_000) }), providerTaskRun(runs[0], 'extract')];
  await syncAcme(w);
  w.provider.pipelineList = [dag('etl')];
  await syncAcme(w);
  const all = await w.services.pipelines.list(w.viewer, 'acme', { includeRemoved: true }, DEFAULT_PAGE);
  const etl = all.items.find((v) => v.pipeline.externalId === 'etl')!.pipeline;
  const gone = all.items.find((v) => v.pipeline.externalId === 'gone')!.pipeline;
  return { ...w, etl, gone, base };
}

describe("RunService: a trigger stores its run and the pipeline's last run together", () => {
  // One write (RunRepository.insertTriggered with noteLastRun; its contract shows both move or neither).
  it("makes its run the pipeline's last run, and a replay of its key changes neither", async () => {
    const w = await synced();
    w.clock.advance(HOUR);
    const { run, created } = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'once' });
    expect(created).toBe(true);
    expect(await w.repos.pipelines.get(w.acme.id, w.etl.id)).toMatchObject({ lastRunStatus: run.status, lastRunAt: run.runAt });
    const before = await w.repos.pipelines.get(w.acme.id, w.etl.id);
    w.clock.advance(HOUR);
    const replay = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'once' });
    expect([replay.created, replay.run.id]).toEqual([false, run.id]);
    expect(await w.repos.pipelines.get(w.acme.id, w.etl.id)).toEqual(before);
  });
});

describe('RunService: reading', () => {
  it('lists runs newest first with filters and pagination totals', async () => {
    const w = await synced();
    const all = await w.services.runs.list(w.viewer, 'acme', w.etl.id, {}, DEFAULT_PAGE);
    expect(all.items.map((r) => r.externalId)).toEqual(['r3', 'r2', 'r1', 'r0']);
    expect((await w.services.runs.list(w.viewer, 'acme', w.etl.id, { status: ['failed'] }, DEFAULT_PAGE)).items.map((r) => r.externalId)).toEqual(['r2']);
    expect((await w.services.runs.list(w.viewer, 'acme', w.etl.id, { runType: ['manual'] }, DEFAULT_PAGE)).items.map((r) => r.externalId)).toEqual(['r3']);
    const window = { startedFrom: new Date(w.base.getTime() + HOUR), startedTo: new Date(w.base.getTime() + 2 * HOUR) };
    expect((await w.services.runs.list(w.viewer, 'acme', w.etl.id, window, DEFAULT_PAGE)).items.map((r) => r.externalId)).toEqual(['r2', 'r1']);
    const page2 = await w.services.runs.list(w.viewer, 'acme', w.etl.id, {}, { page: 2, perPage: 3 });
    expect(page2).toMatchObject({ total: 4, items: [{ externalId: 'r0' }] });
  });

  it('refuses a window that ends before it starts', async () => {
    const w = await synced();
    await expect(w.services.runs.list(w.viewer, 'acme', w.etl.id, { startedFrom: new Date(2), startedTo: new Date(1) }, DEFAULT_PAGE)).rejects.toMatchObject({
      kind: 'invalid',
      details: [{ field: 'started_from' }],
    });
  });

  it('gets a run with its task runs in start order', async () => {
    const w = await synced();
    const [r0] = (await w.services.runs.list(w.viewer, 'acme', w.etl.id, { runType: ['scheduled'] }, { page: 2, perPage: 2 })).items.slice(-1);
    const detail = await w.services.runs.get(w.viewer, 'acme', r0.id);
    expect(detail.run.externalId).toBe('r0');
    expect(detail.taskRuns.map((t) => t.taskId)).toEqual(['extract', 'load']);
  });

  it('answers not_found for runs and pipelines of another space, through this space', async () => {
    const w = await synced();
    const [run] = (await w.services.runs.list(w.viewer, 'acme', w.etl.id, {}, DEFAULT_PAGE)).items;
    await expect(w.services.runs.get(w.outsider, 'other', run.id)).rejects.toMatchObject({ kind: 'not_found', code: 'RUN_NOT_FOUND' });
    await expect(w.services.runs.list(w.outsider, 'other', w.etl.id, {}, DEFAULT_PAGE)).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND' });
  });
});

describe('RunService: trigger', () => {
  it('creates the run in the provider and stores it at once, with who and what was sent', async () => {
    const w = await synced();
    const { run, created } = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { conf: { full: true }, note: 'rerun' });
    expect(created).toBe(true);
    expect(run).toMatchObject({ status: 'queued', runType: 'manual', triggeredBy: w.editor.userId, conf: { full: true }, note: 'rerun' });
    expect(run.externalId).toMatch(/^signalbox__[0-9a-f]{32}$/);
    expect((await w.services.runs.get(w.viewer, 'acme', run.id)).run.id).toBe(run.id);
    const detail = await w.services.pipelines.get(w.viewer, 'acme', w.etl.id);
    expect(detail.lastRun?.id).toBe(run.id);
    expect(detail.pipeline.lastRunStatus).toBe('queued');
  });

  it('returns the same run for the same idempotency key and never starts a second one', async () => {
    const w = await synced();
    const first = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'deploy-42' });
    const again = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'deploy-42' });
    expect(again).toEqual({ run: first.run, created: false });
    expect(w.provider.triggerCalls).toBe(1);
    const other = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'deploy-43' });
    expect(other.run.externalId).not.toBe(first.run.externalId);
  });

  it('refuses the same idempotency key with another conf, note or logical date as IDEMPOTENCY_KEY_REUSED', async () => {
    const w = await synced();
    const sent = { conf: { x: 1, y: [1, 2] }, note: 'deploy', logicalDate: new Date('2026-03-01T00:00:00Z'), idempotencyKey: 'deploy-42' };
    const first = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, sent);
    // Key order inside conf is not a difference.
    const replay = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { ...sent, conf: { y: [1, 2], x: 1 } });
    expect(replay).toEqual({ run: first.run, created: false });
    for (const changed of [{ conf: { x: 2, y: [1, 2] } }, { conf: { x: 1, y: [2, 1] } }, { note: null }, { logicalDate: null }, { conf: null }]) {
      await expect(w.services.runs.trigger(w.editor, 'acme', w.etl.id, { ...sent, ...changed })).rejects.toMatchObject({
        kind: 'unprocessable',
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
    }
    expect(w.provider.triggerCalls).toBe(1);
  });

  it('refuses the second of two concurrent first requests with one key and different bodies', async () => {
    const w = await synced();
    const [a, b] = await Promise.allSettled([
      w.services.runs.trigger(w.editor, 'acme', w.etl.id, { conf: { n: 1 }, idempotencyKey: 'race' }),
      w.services.runs.trigger(w.editor, 'acme', w.etl.id, { conf: { n: 2 }, idempotencyKey: 'race' }),
    ]);
    // Either may come first (hashing is asynchronous): exactly one starts the run, the other is refused.
    const outcomes = [a, b].sort((x, y) => x.status.localeCompare(y.status));
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { created: true } });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('recognises a retry after a lost response: the provider has the run, we do not', async () => {
    const w = await synced();
    w.provider.loseNextTriggerResponse = true;
    await expect(w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'k1' })).rejects.toMatchObject({ kind: 'timeout' });
    expect((await w.services.runs.list(w.viewer, 'acme', w.etl.id, { runType: ['manual'] }, DEFAULT_PAGE)).total).toBe(1); // only r3
    const retried = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'k1' });
    expect(retried.created).toBe(false);
    expect(retried.run).toMatchObject({ status: 'queued', triggeredBy: w.editor.userId });
    expect(w.provider.runList.filter((r) => r.externalId === retried.run.externalId)).toHaveLength(1);
    expect(w.provider.triggerCalls).toBe(2);
    expect((await w.services.runs.list(w.viewer, 'acme', w.etl.id, { runType: ['manual'] }, DEFAULT_PAGE)).total).toBe(2);
  });

  it('starts two runs for two requests without a key', async () => {
    const w = await synced();
    const a = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, {});
    const b = await w.services.runs.trigger(w.editor, 'acme', w.etl.id, {});
    expect(a.run.externalId).not.toBe(b.run.externalId);
    expect(w.provider.triggerCalls).toBe(2);
  });

  it('refuses viewers, removed pipelines, bad keys and long notes; passes provider errors on', async () => {
    const w = await synced();
    await expect(w.services.runs.trigger(w.viewer, 'acme', w.etl.id, {})).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(w.services.runs.trigger(w.editor, 'acme', w.gone.id, {})).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_REMOVED' });
    await expect(w.services.runs.trigger(w.editor, 'acme', w.etl.id, { idempotencyKey: 'has space' })).rejects.toMatchObject({
      kind: 'invalid',
      details: [{ field: 'idempotencyKey' }],
    });
    await expect(w.services.runs.trigger(w.editor, 'acme', w.etl.id, { note: 'x'.repeat(1001) })).rejects.toMatchObject({ details: [{ field: 'note' }] });
    w.provider.failAfter(0, 503, 'down for maintenance');
    await expect(w.services.runs.trigger(w.editor, 'acme', w.etl.id, {})).rejects.toMatchObject({
      kind: 'unavailable',
      provider: { name: 'memory', status: 503, message: 'down for maintenance' },
    });
    await expect(w.services.runs.trigger(w.editor, 'acme', 'nope', {})).rejects.toMatchObject({ kind: 'not_found' });
  });
});
