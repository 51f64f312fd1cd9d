import { SYNC_INTERRUPTED } from './sync-service';
import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, providerTaskRun, runToEnd, syncAcme, world } from './test-world';

describe('SyncService', () => {
  it('stores pipelines, runs and task runs of a first sync and records the outcome', async () => {
    const w = await world();
    const t0 = new Date(w.clock.now().getTime() - 2 * HOUR);
    const r1 = providerRun('etl', 'run1', t0);
    const r2 = providerRun('etl', 'run2', new Date(t0.getTime() + HOUR), { status: 'failed', nativeStatus: 'failed' });
    w.provider.pipelineList = [dag('etl'), dag('report'), dag('cleanup')];
    w.provider.runList = [r1, r2];
    w.provider.taskRunList = [providerTaskRun(r1, 'a'), providerTaskRun(r1, 'b'), providerTaskRun(r2, 'a', { status: 'failed' })];

    const done = await syncAcme(w);

    expect(done).toMatchObject({ status: 'succeeded', error: null, counts: { pipelines: 3, runs: 2, taskRuns: 3, removedPipelines: 0 } });
    const list = await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE);
    expect(list.items.map((v) => v.pipeline.externalId)).toEqual(['cleanup', 'etl', 'report']);
    const etl = list.items[1];
    expect(etl.pipeline.lastRunStatus).toBe('failed');
    expect(etl.summary).toMatchObject({ runs: 2, succeeded: 1, failed: 1, successRate: 0.5 });
    const connector = await w.services.connectors.get(w.viewer, 'acme', w.connector.id);
    expect(connector).toMatchObject({ lastSyncStatus: 'succeeded', lastError: null, cursor: r2.updatedAt!.toISOString() });
    const history = await w.services.syncs.list(w.viewer, 'acme', w.connector.id, DEFAULT_PAGE);
    expect(history.items.map((s) => s.id)).toEqual([done.id]);
  });

  it('asks for runs since the look-back window first, then since the cursor less the overlap', async () => {
    const w = await world();
    const r1 = providerRun('etl', 'run1', new Date(w.clock.now().getTime() - HOUR));
    w.provider.pipelineList = [dag('etl')];
    w.provider.runList = [r1];
    await syncAcme(w);
    w.clock.advance(HOUR);
    await syncAcme(w);
    const [first, second] = w.provider.sinceAsked.runs;
    expect(first!.toISOString()).toBe('2026-01-30T12:00:00.000Z'); // 30 days before the first sync
    expect(second!.getTime()).toBe(r1.updatedAt!.getTime() - 60_000);
    expect(w.provider.sinceAsked.taskRuns[1]!.getTime()).toBe(r1.updatedAt!.getTime() - 60_000);
  });

  it('never duplicates on a re-run and updates what changed', async () => {
    const w = await world();
    const r1 = providerRun('etl', 'run1', new Date(w.clock.now().getTime() - HOUR), { status: 'running', finishedAt: null, durationSeconds: null });
    w.provider.pipelineList = [dag('etl')];
    w.provider.runList = [r1];
    w.provider.taskRunList = [providerTaskRun(r1, 'a', { status: 'running' })];
    await syncAcme(w);
    Object.assign(r1, { status: 'success', finishedAt: w.clock.now(), durationSeconds: 3600, updatedAt: w.clock.now() });
    w.provider.taskRunList[0].status = 'success';
    w.provider.taskRunList[0].updatedAt = w.clock.now();
    await syncAcme(w);
    const [p] = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items;
    const runs = await w.services.runs.list(w.viewer, 'acme', p.pipeline.id, {}, DEFAULT_PAGE);
    expect(runs.total).toBe(1);
    expect(runs.items[0]).toMatchObject({ status: 'success', durationSeconds: 3600 });
    const detail = await w.services.runs.get(w.viewer, 'acme', runs.items[0].id);
    expect(detail.taskRuns.map((t) => [t.taskId, t.status])).toEqual([['a', 'success']]);
  });

  it('keeps team, criticality and watchers through every sync', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl', { owner: 'old' })];
    await syncAcme(w);
    const [p] = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items;
    const team = await w.services.teams.create(w.admin, 'acme', { name: 'Core' });
    await w.services.pipelines.setTeam(w.editor, 'acme', p.pipeline.id, team.id);
    await w.services.pipelines.setCriticality(w.editor, 'acme', p.pipeline.id, 'high');
    await w.services.pipelines.watch(w.viewer, 'acme', p.pipeline.id);
    w.provider.pipelineList = [dag('etl', { owner: 'new', paused: true })];
    await syncAcme(w);
    const after = await w.services.pipelines.get(w.viewer, 'acme', p.pipeline.id);
    expect(after.pipeline).toMatchObject({ owner: 'new', paused: true, teamId: team.id, criticality: 'high' });
    expect(after.watched).toBe(true);
  });

  it('marks a pipeline gone from the provider as removed, keeps its history, and revives it when back', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl'), dag('old')];
    w.provider.runList = [providerRun('old', 'r', new Date(w.clock.now().getTime() - HOUR))];
    await syncAcme(w);
    w.provider.pipelineList = [dag('etl')];
    w.clock.advance(1000);
    const second = await syncAcme(w);
    expect(second.counts.removedPipelines).toBe(1);
    expect((await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items.map((v) => v.pipeline.externalId)).toEqual(['etl']);
    const all = await w.services.pipelines.list(w.viewer, 'acme', { includeRemoved: true }, DEFAULT_PAGE);
    const old = all.items.find((v) => v.pipeline.externalId === 'old')!;
    expect(old.pipeline.removedAt).toEqual(w.clock.now());
    expect((await w.services.runs.list(w.viewer, 'acme', old.pipeline.id, {}, DEFAULT_PAGE)).total).toBe(1);
    w.provider.pipelineList = [dag('etl'), dag('old')];
    await syncAcme(w);
    expect((await w.services.pipelines.get(w.viewer, 'acme', old.pipeline.id)).pipeline.removedAt).toBeNull();
  });

  it('leaves earlier data intact when a sync fails half way, and records the error', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a'), dag('b'), dag('c'), dag('d')];
    const r = providerRun('a', 'r1', new Date(w.clock.now().getTime() - HOUR));
    w.provider.runList = [r];
    const first = await syncAcme(w);
    const cursor = (await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor;

    w.provider.pipelineList = [dag('a', { description: 'changed' }), dag('b')]; // c and d would be removed
    w.provider.failAfter(1, 500, 'scheduler exploded'); // the second page fails
    w.provider.pipelineList.push(dag('e'));
    const failed = await syncAcme(w);

    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('memory 500: scheduler exploded');
    const list = await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE);
    expect(list.items.map((v) => v.pipeline.externalId)).toEqual(['a', 'b', 'c', 'd']); // nothing removed on a partial listing
    const connector = (await w.repos.connectors.get(w.acme.id, w.connector.id))!;
    expect(connector).toMatchObject({ lastSyncStatus: 'failed', lastError: 'memory 500: scheduler exploded', cursor });
    expect((await w.services.syncs.get(w.viewer, 'acme', w.connector.id, failed.id)).error).toBe('memory 500: scheduler exploded');
    expect((await w.services.syncs.get(w.viewer, 'acme', w.connector.id, first.id)).status).toBe('succeeded');
  });

  it('refuses a second sync of the same connector while one runs, telling which', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    const started = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
    const err = await w.services.syncs.start(w.admin, 'acme', w.connector.id).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'conflict', code: 'SYNC_RUNNING', data: { id: started.id, status: 'running' } });
    await runToEnd(w, started);
    await expect(syncAcme(w)).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('takes over a sync whose process died (no heartbeat within the lease)', async () => {
    const w = await world();
    const now = w.clock.now();
    const dead = {
      id: w.ids.id(),
      spaceId: w.acme.id,
      connectorId: w.connector.id,
      status: 'running' as const,
      triggeredBy: null,
      startedAt: now,
      heartbeatAt: now,
      finishedAt: null,
      counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 },
      error: null,
    };
    await w.repos.syncs.begin(dead, new Date(0));
    await expect(syncAcme(w)).rejects.toMatchObject({ code: 'SYNC_RUNNING' });
    w.clock.advance(61_000);
    const done = await syncAcme(w);
    expect(done.status).toBe('succeeded');
    const abandoned = await w.services.syncs.get(w.viewer, 'acme', w.connector.id, dead.id);
    expect(abandoned).toMatchObject({ status: 'failed', error: expect.stringMatching(/abandoned/) });
  });

  it('stops a sync that lost its lease, leaving the record, removals and cursor to the one that took over', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a'), dag('b'), dag('c')];
    w.provider.runList = [providerRun('a', 'r1', new Date(w.clock.now().getTime() - HOUR))];
    let second: Promise<unknown> | undefined;
    w.provider.beforePage = async () => {
      if (second) return;
      w.provider.beforePage = undefined;
      // The first sync stalls past its lease on its first page; another request takes the connector over.
      w.clock.advance(61_000);
      w.provider.pipelineList = [dag('a')];
      second = syncAcme(w);
      await second;
    };
    const first = await syncAcme(w);
    expect(first).toMatchObject({ status: 'failed', error: expect.stringMatching(/abandoned/) }); // the stored verdict of the takeover
    const records = (await w.services.syncs.list(w.viewer, 'acme', w.connector.id, DEFAULT_PAGE)).items;
    expect(records.map((r) => [r.id, r.status])).toEqual([
      [records[0].id, 'succeeded'],
      [first.id, 'failed'],
    ]);
    expect(records[1].error).toMatch(/abandoned/); // the verdict of the takeover, not overwritten
    const connector = (await w.repos.connectors.get(w.acme.id, w.connector.id))!;
    expect(connector).toMatchObject({ lastSyncStatus: 'succeeded', lastError: null });
    const live = await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE);
    expect(live.items.map((v) => v.pipeline.externalId)).toEqual(['a']); // only the second sync's listing removed b and c
  });

  describe('on the worker', () => {
    const claimAll = (w: Awaited<ReturnType<typeof world>>, token: string) =>
      w.repos.jobs.claim(['sync'], token, w.clock.now(), new Date(w.clock.now().getTime() + 60_000), 10);

    it('continues as a new sync when a job is claimed again after its worker died, the old record abandoned', async () => {
      const w = await world();
      w.provider.pipelineList = [dag('a')];
      const first = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
      const [job] = await claimAll(w, 'dead');
      expect(job.attempts).toBe(1); // the worker that claimed it dies before doing anything
      w.clock.advance(61_000);
      const [again] = await claimAll(w, 'next');
      expect(again.attempts).toBe(2);
      expect(await w.services.syncs.runJob(again, new AbortController().signal)).toBeUndefined();
      const records = (await w.services.syncs.list(w.viewer, 'acme', w.connector.id, DEFAULT_PAGE)).items;
      expect(records.map((r) => r.status)).toEqual(['succeeded', 'failed']);
      expect(records[1]).toMatchObject({ id: first.id, error: expect.stringMatching(/abandoned/) });
    });

    it('waits, when claimed again, until a sync that still beats its lease would be stale', async () => {
      const w = await world();
      const first = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
      await claimAll(w, 'alive');
      w.clock.advance(61_000);
      await w.repos.syncs.heartbeat(w.acme.id, first.id, w.clock.now(), first.counts); // its sync still beats
      const [again] = await claimAll(w, 'next');
      expect(await w.services.syncs.runJob(again, new AbortController().signal)).toEqual({ retryAt: new Date(w.clock.now().getTime() + 60_001) });
      expect((await w.services.syncs.get(w.viewer, 'acme', w.connector.id, first.id)).status).toBe('running');
    });

    it('stops when its worker aborts (shutdown), leaving the connector as it was; the next claim continues at once', async () => {
      const w = await world();
      w.provider.pipelineList = [dag('a'), dag('b'), dag('c')];
      const first = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
      const [job] = await claimAll(w, 'stopping');
      const stop = new AbortController();
      w.provider.beforePage = () => stop.abort('shutdown');
      await w.services.syncs.runJob(job, stop.signal);
      w.provider.beforePage = undefined;
      expect(await w.services.syncs.get(w.viewer, 'acme', w.connector.id, first.id)).toMatchObject({ status: 'failed', error: SYNC_INTERRUPTED });
      expect(await w.repos.connectors.get(w.acme.id, w.connector.id)).toMatchObject({ lastSyncStatus: null, syncFailures: 0 });
      await w.repos.jobs.release(job.id, 'stopping');
      const [again] = await claimAll(w, 'next'); // no waiting for a lease
      await w.services.syncs.runJob(again, new AbortController().signal);
      const records = (await w.services.syncs.list(w.viewer, 'acme', w.connector.id, DEFAULT_PAGE)).items;
      expect(records.map((r) => r.status)).toEqual(['succeeded', 'failed']);
      expect(records[0].counts.pipelines).toBe(3);
    });
  });

  it('syncs only for space admins, and 404s for connectors of another space', async () => {
    const w = await world();
    await expect(w.services.syncs.start(w.editor, 'acme', w.connector.id)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(w.services.syncs.start(w.admin, 'acme', w.otherConnector.id)).rejects.toMatchObject({ kind: 'not_found', code: 'CONNECTOR_NOT_FOUND' });
    await expect(w.services.syncs.start(w.outsider, 'acme', w.connector.id)).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
  });
});
