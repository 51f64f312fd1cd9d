import { SYNC_INTERRUPTED } from './sync-service';
import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, providerTaskRun, runToEnd, syncAcme, world } from './test-world';

describe('SyncService', () => {
  it('waits for a sync until it ends, the time is up, or the caller goes away', async () => {
    const w = await world();
    const started = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
    const t0 = Date.now();
    expect((await w.services.syncs.wait(w.viewer, 'acme', w.connector.id, started.id, 300)).status).toBe('running');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const gone = new AbortController();
    setTimeout(() => gone.abort(), 100);
    const t1 = Date.now();
    expect((await w.services.syncs.wait(w.viewer, 'acme', w.connector.id, started.id, 30_000, gone.signal)).status).toBe('running');
    expect(Date.now() - t1).toBeLessThan(5_000);
  });

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
    expect(connector).toMatchObject({ lastSyncStatus: 'succeeded', lastError: null, cursor: 'memory:2026-03-01T12:00:00.000Z' });
    const history = await w.services.syncs.list(w.viewer, 'acme', w.connector.id, DEFAULT_PAGE);
    expect(history.items.map((s) => s.id)).toEqual([done.id]);
  });

  it('tells telemetry that a sync succeeded and how long it ran, once', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl')];
    w.provider.beforePage = () => {
      w.provider.beforePage = undefined;
      w.clock.advance(5_000);
    };
    await syncAcme(w);
    expect(w.telemetry.syncs).toEqual([{ outcome: 'succeeded', durationMs: 5_000 }]);
  });

  it('hands the provider back the cursor it returned, unread, and keeps the old one when a sync fails', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl')];
    w.provider.runList = [providerRun('etl', 'run1', new Date(w.clock.now().getTime() - HOUR))];
    await syncAcme(w);
    const first = (await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor;
    expect(first).toBe('memory:2026-03-01T12:00:00.000Z');
    w.clock.advance(HOUR);
    w.provider.failAfter(2, 500, 'listing failed'); // a later page of this sync fails
    expect(await syncAcme(w)).toMatchObject({ status: 'failed' });
    expect((await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor).toBe(first);
    await syncAcme(w);
    expect(w.provider.cursorsAsked).toEqual([null, first, first]);
    expect((await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor).toBe('memory:2026-03-01T13:00:00.000Z');
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
    expect(w.telemetry.syncs.map((x) => x.outcome)).toEqual(['succeeded', 'failed']);
  });

  it('notes the last run of each pipeline once its runs are written; when that fails, the sync fails, its cursor stays, and the next sync notes it', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    const r1 = providerRun('a', 'r1', new Date(w.clock.now().getTime() - 2 * HOUR));
    w.provider.runList = [r1];
    await syncAcme(w);
    const [a] = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items;
    expect(a.pipeline.lastRunStatus).toBe('success');
    const cursor = (await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor;

    // A run that starts after the first sync, so the next one lists it from its cursor.
    w.clock.advance(HOUR);
    w.provider.runList.push(providerRun('a', 'r2', w.clock.now(), { status: 'failed', nativeStatus: 'failed', updatedAt: w.clock.now() }));
    w.uow.fail('pipelines', 'noteLastRuns', new Error('disk full'));
    const failed = await syncAcme(w);

    expect(failed).toMatchObject({ status: 'failed', error: 'disk full' });
    const runs = await w.services.runs.list(w.viewer, 'acme', a.pipeline.id, {}, DEFAULT_PAGE);
    expect(runs.items.map((r) => r.externalId).sort()).toEqual(['r1', 'r2']);
    expect((await w.repos.pipelines.get(w.acme.id, a.pipeline.id))?.lastRunStatus).toBe('success');
    expect((await w.repos.connectors.get(w.acme.id, w.connector.id))!.cursor).toBe(cursor);

    w.uow.heal();
    expect((await syncAcme(w)).status).toBe('succeeded');
    expect((await w.repos.pipelines.get(w.acme.id, a.pipeline.id))?.lastRunStatus).toBe('failed');
  });

  it('notes the last runs once the runs listing is over, before it writes any task run', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    const r1 = providerRun('a', 'r1', new Date(w.clock.now().getTime() - HOUR));
    w.provider.runList = [r1];
    w.provider.taskRunList = [providerTaskRun(r1, 'extract')];
    // The batches are written outside any unit of work, the last runs inside one: both are logged.
    const writes: string[] = [];
    const { runs, taskRuns, pipelines } = w.repos;
    const logged =
      <A extends unknown[], R>(name: string, write: (...args: A) => R) =>
      (...args: A): R => {
        writes.push(name);
        return write(...args);
      };
    runs.upsertFromProvider = logged('runs', runs.upsertFromProvider.bind(runs));
    taskRuns.upsertFromProvider = logged('task runs', taskRuns.upsertFromProvider.bind(taskRuns));
    pipelines.noteLastRuns = logged('last runs', pipelines.noteLastRuns.bind(pipelines));
    await syncAcme(w);
    expect(writes).toEqual(['runs', 'last runs', 'task runs']);
  });

  it('notes the last runs of the batches written before a failure', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a'), dag('b'), dag('c')];
    const start = w.clock.now().getTime() - 3 * HOUR;
    // Pages of two, fetched at most ten ahead: the first batch holds r1 and r2, and a later batch fails.
    w.provider.runList = [
      providerRun('a', 'r1', new Date(start)),
      providerRun('b', 'r2', new Date(start + 1000), { status: 'failed', nativeStatus: 'failed' }),
      ...Array.from({ length: 60 }, (_, i) => providerRun('c', `c${i}`, new Date(start + 2000 + i))),
    ];
    const upsert = w.repos.runs.upsertFromProvider.bind(w.repos.runs);
    let calls = 0;
    w.repos.runs.upsertFromProvider = (...a: Parameters<typeof upsert>) => (++calls >= 2 ? Promise.reject(new Error('disk full')) : upsert(...a));
    expect(await syncAcme(w)).toMatchObject({ status: 'failed', error: 'disk full' });
    const views = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items;
    const status = (p: string) => views.find((v) => v.pipeline.externalId === p)?.pipeline.lastRunStatus;
    expect([status('a'), status('b'), status('c')]).toEqual(['success', 'failed', null]);
  });

  it('ends its record and moves the connector in one unit: a failed connector write commits neither', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    w.uow.fail('connectors', 'recordSync', new Error('disk full'));
    const record = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
    await w.worker.poll();
    await w.worker.idle();
    w.uow.heal();
    // Neither the success nor the failure could be recorded with its connector state: the record stays
    // running until its heartbeat goes stale and another sync takes over.
    expect((await w.services.syncs.get(w.viewer, 'acme', w.connector.id, record.id)).status).toBe('running');
    expect(await w.repos.connectors.get(w.acme.id, w.connector.id)).toMatchObject({ lastSyncAt: null, cursor: null });
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
    await w.worker.idle(); // the first sync's own end comes after its record's
    expect(w.telemetry.syncs.map((x) => x.outcome)).toEqual(['succeeded', 'lost']);
  });

  it('heartbeats as it pages, so a long sync keeps its lease and a second request is refused', async () => {
    const w = await world(); // lease 60 s
    w.provider.pipelineList = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((x) => dag(x)); // 5 pages of 2
    let pages = 0;
    let second: unknown;
    w.provider.beforePage = async () => {
      w.clock.advance(20_000); // each page takes 20 s: the whole listing outlasts the lease
      if (++pages === 4) second = await w.services.syncs.start(w.admin, 'acme', w.connector.id).catch((e: unknown) => e);
    };
    const first = await syncAcme(w);
    expect(second).toMatchObject({ kind: 'conflict', code: 'SYNC_RUNNING', data: { id: first.id } });
    expect(first).toMatchObject({ status: 'succeeded', counts: { pipelines: 10 } });
  });

  it('marks nothing removed when its lease was lost during the last page of the pipelines listing', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a'), dag('b')];
    await syncAcme(w);
    let calls = 0;
    w.provider.beforePage = async () => {
      // Call 1 serves the one page (a, b), call 2 finds the listing's end: there the sync stalls past
      // its lease, and another sync takes the connector over and lists the same pipelines.
      if (++calls !== 2) return;
      w.provider.beforePage = undefined;
      w.clock.advance(61_000);
      await syncAcme(w);
    };
    const first = await syncAcme(w);
    await w.worker.idle(); // the record ended with the takeover; the first sync's job may still be finishing
    // Its record is the takeover's verdict: a sync that lost its lease writes nothing more.
    expect(first).toMatchObject({ status: 'failed', error: expect.stringMatching(/abandoned/) });
    expect(first.counts.removedPipelines).toBe(0);
    const live = await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE);
    expect(live.items.map((v) => v.pipeline.externalId)).toEqual(['a', 'b']);
  });

  it('writes no batch of pages fetched ahead once its lease is lost', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    const at = (h: number) => new Date(w.clock.now().getTime() - h * HOUR);
    w.provider.runList = [1, 2, 3, 4, 5, 6].map((i) => providerRun('a', `r${i}`, at(i)));
    let calls = 0;
    w.provider.beforePage = async () => {
      // Call 4 fetches the second page of runs, ahead of the writes: another process takes the
      // sync over then. No page fetched after that may be written.
      if (++calls !== 4) return;
      w.clock.advance(61_000);
      const now = w.clock.now();
      const other = { ...(await w.repos.syncs.list(w.acme.id, w.connector.id, DEFAULT_PAGE)).items[0], id: w.ids.id(), startedAt: now, heartbeatAt: now };
      expect((await w.repos.syncs.begin(other, new Date(now.getTime() + HOUR))).started).toBe(true);
    };
    const first = await syncAcme(w);
    await w.worker.idle();
    expect(first.status).toBe('failed');
    const pipeline = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items[0].pipeline;
    const stored = await w.services.runs.list(w.viewer, 'acme', pipeline.id, {}, DEFAULT_PAGE);
    // At most the first page, written before the takeover was noticed; none fetched after it.
    expect(['r1', 'r2']).toEqual(expect.arrayContaining(stored.items.map((r) => r.externalId)));
  });

  it('moves neither the cursor nor the connector state when its lease is found lost only at the end', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    w.provider.runList = [providerRun('a', 'r1', new Date(w.clock.now().getTime() - HOUR))];
    const before = (await w.repos.connectors.get(w.acme.id, w.connector.id))!;
    let calls = 0;
    w.provider.beforePage = async () => {
      // The listing's last call (the end of the task runs): another process, whose clock runs an
      // hour ahead, takes the sync over; no page follows, so only the end can notice.
      if (++calls !== 5) return;
      const now = w.clock.now();
      const other = { ...(await w.repos.syncs.list(w.acme.id, w.connector.id, DEFAULT_PAGE)).items[0], id: w.ids.id(), startedAt: now, heartbeatAt: now };
      expect((await w.repos.syncs.begin(other, new Date(now.getTime() + HOUR))).started).toBe(true);
    };
    const first = await syncAcme(w);
    await w.worker.idle(); // the record ended with the takeover; the first sync's job may still be finishing
    expect(calls).toBe(5); // 2 for the pipelines, 2 for the runs, 1 for the (empty) task runs
    // Its record is the takeover's verdict: a sync that lost its lease writes nothing more.
    expect(first).toMatchObject({ status: 'failed', error: expect.stringMatching(/abandoned/) });
    const after = (await w.repos.connectors.get(w.acme.id, w.connector.id))!;
    expect(after).toMatchObject({ cursor: before.cursor, lastSyncAt: before.lastSyncAt, lastSyncStatus: before.lastSyncStatus });
    expect((await w.services.syncs.get(w.viewer, 'acme', w.connector.id, first.id)).error).toMatch(/abandoned/);
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
      expect(w.telemetry.syncs.map((x) => x.outcome)).toEqual(['interrupted', 'succeeded']);
    });
  });

  it('syncs only for space admins, and 404s for connectors of another space', async () => {
    const w = await world();
    await expect(w.services.syncs.start(w.editor, 'acme', w.connector.id)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(w.services.syncs.start(w.admin, 'acme', w.otherConnector.id)).rejects.toMatchObject({ kind: 'not_found', code: 'CONNECTOR_NOT_FOUND' });
    await expect(w.services.syncs.start(w.outsider, 'acme', w.connector.id)).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
  });
});
