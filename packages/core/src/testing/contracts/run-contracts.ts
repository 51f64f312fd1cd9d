import { type Run, type RunFilter, runAtOf } from '../../run/run';
import {
  aSetting,
  aSpace,
  aTriggeredRun,
  at,
  aUser,
  type ContractSubject,
  type MakeRepositories,
  page,
  providerPipeline,
  providerRun,
  providerTaskRun,
  somePipelines,
  T0,
  useSubject,
} from './fixtures';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';

async function withPipeline(s: ContractSubject) {
  const setting = await aSetting(s);
  const p = await somePipelines(s, setting.connector, [providerPipeline('etl'), providerPipeline('other')]);
  return { ...setting, pipeline: p('etl'), otherPipeline: p('other') };
}

/** RunRepository, TaskRunRepository and CommentRepository. */
export function runContracts(name: string, make: MakeRepositories) {
  describe(`${name}: runs`, () => {
    const subject = useSubject(make);

    it('inserts runs resolved to their pipeline, skips runs of unknown pipelines, and counts what it wrote', async () => {
      const s = subject();
      const { space, connector, pipeline } = await withPipeline(s);
      const written = await s.repos.runs.upsertFromProvider(
        connector,
        [
          providerRun('etl', 'r1', {
            startedAt: at(0),
            finishedAt: at(2),
            status: 'failed',
            nativeStatus: 'failed',
            runType: 'manual',
            conf: { a: [1, 'b'] },
            note: 'n',
            logicalDate: at(-1),
            queuedAt: at(-1),
          }),
          providerRun('ghost', 'r1', { startedAt: at(0) }),
        ],
        at(5),
      );
      expect(written).toBe(1);
      const run = await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1');
      expect(run).toEqual({
        id: expect.any(String),
        spaceId: space.id,
        connectorId: connector.id,
        pipelineId: pipeline.id,
        origin: 'synced',
        managed: null,
        externalId: 'r1',
        status: 'failed',
        nativeStatus: 'failed',
        runType: 'manual',
        logicalDate: at(-1),
        queuedAt: at(-1),
        startedAt: at(0),
        finishedAt: at(2),
        durationSeconds: 120,
        conf: { a: [1, 'b'] },
        note: 'n',
        triggeredBy: null,
        runAt: at(0),
        createdAt: at(5),
        updatedAt: at(5),
      });
      expect(await s.repos.runs.get(space.id, run!.id)).toEqual(run);
      expect(await s.repos.runs.getByExternalId(space.id, connector.id, 'ghost', 'r1')).toBeUndefined();
    });

    it('is absent from another space and for unknown ids', async () => {
      const s = subject();
      const { space, connector, pipeline } = await withPipeline(s);
      const other = await aSpace(s);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { startedAt: at(0) })], T0);
      const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      expect(await s.repos.runs.get(other.id, run.id)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, OTHER)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, 'r1')).toBeUndefined();
      expect(await s.repos.runs.getByExternalId(other.id, connector.id, 'etl', 'r1')).toBeUndefined();
      expect(await s.repos.runs.listForPipeline(other.id, pipeline.id, {}, page())).toEqual({ items: [], total: 0 });
      expect(await s.repos.runs.latest(other.id, pipeline.id)).toBeUndefined();
    });

    it('writes no run and no task run through a connector that claims another space', async () => {
      const s = subject();
      const { space, connector, pipeline } = await withPipeline(s);
      const other = await aSpace(s);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { startedAt: at(0), status: 'running' })], T0);
      const claimed = { ...connector, spaceId: other.id };
      expect(await s.repos.runs.upsertFromProvider(claimed, [providerRun('etl', 'r1', { status: 'failed' }), providerRun('etl', 'r2')], at(1))).toBe(0);
      expect(await s.repos.taskRuns.upsertFromProvider(claimed, [providerTaskRun('etl', 'r1', 'extract')], at(1))).toBe(0);
      const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      expect(run.status).toBe('running');
      expect((await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page())).total).toBe(1);
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([]);
      // The same pages through the connector as it is are written.
      expect(await s.repos.taskRuns.upsertFromProvider(connector, [providerTaskRun('etl', 'r1', 'extract')], at(1))).toBe(1);
    });

    it('runs at started, else queued, else logical date, else first seen; a re-run keeps the first-seen time', async () => {
      const s = subject();
      const { space, connector } = await withPipeline(s);
      const given = [
        providerRun('etl', 'started', { startedAt: at(3), queuedAt: at(2), logicalDate: at(1) }),
        providerRun('etl', 'queued', { queuedAt: at(2), logicalDate: at(1) }),
        providerRun('etl', 'logical', { logicalDate: at(1) }),
        providerRun('etl', 'seen', {}),
      ];
      await s.repos.runs.upsertFromProvider(connector, given, at(10));
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'seen', { status: 'running' })], at(20));
      const runAt = async (ext: string) => (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', ext))!.runAt;
      const stored = [await runAt('started'), await runAt('queued'), await runAt('logical'), await runAt('seen')];
      expect(stored).toEqual([at(3), at(2), at(1), at(10)]);
      // The SQL is the core's rule (runAtOf), with the time the run was first seen.
      expect(stored).toEqual(given.map((r) => runAtOf(r, at(10))));
      // A run that gains times later is ordered by them, as runAtOf says.
      const later = providerRun('etl', 'seen', { queuedAt: at(15), logicalDate: at(14) });
      await s.repos.runs.upsertFromProvider(connector, [later], at(30));
      expect(await runAt('seen')).toEqual(runAtOf(later, at(10)));
    });

    it('updates on a re-run without duplicating, keeping id, creation time and who triggered it', async () => {
      const s = subject();
      const { space, connector, pipeline, viewer } = await withPipeline(s);
      const triggered: Run = {
        id: s.ids.id(),
        spaceId: space.id,
        connectorId: connector.id,
        pipelineId: pipeline.id,
        origin: 'synced',
        managed: null,
        externalId: 'signalbox__1',
        status: 'queued',
        nativeStatus: 'queued',
        runType: 'manual',
        logicalDate: null,
        queuedAt: at(0),
        startedAt: null,
        finishedAt: null,
        durationSeconds: null,
        conf: { x: 1 },
        note: null,
        triggeredBy: viewer.id,
        runAt: at(0),
        createdAt: at(0),
        updatedAt: at(0),
      };
      expect(await s.repos.runs.insertTriggered(triggered, 'fingerprint')).toEqual(triggered);
      expect(await s.repos.runs.requestHash(space.id, triggered.id)).toBe('fingerprint');
      const update = providerRun('etl', 'signalbox__1', { status: 'success', queuedAt: at(0), startedAt: at(1), finishedAt: at(3), conf: { x: 1 } });
      await Promise.all([1, 2].map(() => s.repos.runs.upsertFromProvider(connector, [update, update], at(4))));
      expect(await s.repos.runs.upsertFromProvider(connector, [update], at(5))).toBe(1);
      const listed = await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page());
      expect(listed.total).toBe(1);
      expect(listed.items[0]).toEqual({
        ...triggered,
        status: 'success',
        startedAt: at(1),
        finishedAt: at(3),
        durationSeconds: 120,
        runAt: at(1),
        updatedAt: at(5),
        nativeStatus: 'success',
        runType: 'scheduled',
      });
      // A sync of the run keeps the fingerprint; another space does not see it.
      expect(await s.repos.runs.requestHash(space.id, triggered.id)).toBe('fingerprint');
      expect(await s.repos.runs.requestHash((await aSpace(s)).id, triggered.id)).toBeNull();
    });

    it("notes a triggered run it inserts as its pipeline's last run when asked, unless a later run is noted already", async () => {
      const s = subject();
      const { space, pipeline } = await withPipeline(s);
      const triggered = (externalId: string, minutes: number, status: Run['status'] = 'queued'): Run =>
        aTriggeredRun(s, pipeline, { externalId, status, runAt: at(minutes), createdAt: at(minutes), updatedAt: at(minutes) });
      const last = async () => {
        const p = (await s.repos.pipelines.get(space.id, pipeline.id))!;
        return [p.lastRunStatus, p.lastRunAt];
      };
      // Not asked: the pipeline's last run stays.
      await s.repos.runs.insertTriggered(triggered('signalbox__a', 5, 'running'), null);
      expect(await last()).toEqual([null, null]);
      await s.repos.runs.insertTriggered(triggered('signalbox__b', 10), 'h', { noteLastRun: true });
      expect(await last()).toEqual(['queued', at(10)]);
      // An earlier run does not move it back; a run whose key exists is not inserted, nor noted.
      await s.repos.runs.insertTriggered(triggered('signalbox__c', 2, 'failed'), null, { noteLastRun: true });
      expect(await last()).toEqual(['queued', at(10)]);
      await s.repos.runs.insertTriggered(triggered('signalbox__a', 20, 'failed'), null, { noteLastRun: true });
      expect(await last()).toEqual(['queued', at(10)]);
      await s.repos.runs.insertTriggered(triggered('signalbox__d', 10, 'success'), null, { noteLastRun: true });
      expect(await last()).toEqual(['success', at(10)]);
      // A pipeline of another space: not found, and nothing noted anywhere.
      const other = await aSpace(s);
      await expect(s.repos.runs.insertTriggered({ ...triggered('signalbox__e', 30), spaceId: other.id }, null, { noteLastRun: true })).rejects.toMatchObject({
        kind: 'not_found',
      });
      await expect(s.repos.runs.insertTriggered({ ...triggered('signalbox__f', 30), pipelineId: OTHER }, null, { noteLastRun: true })).rejects.toMatchObject({
        kind: 'not_found',
      });
      expect(await last()).toEqual(['success', at(10)]);
    });

    it('keeps the stored run when a triggered run’s key exists', async () => {
      const s = subject();
      const { space, connector, pipeline } = await withPipeline(s);
      const base = aTriggeredRun(s, pipeline, { externalId: 'signalbox__k' });
      const first = { ...base, id: s.ids.id() };
      const second = { ...base, id: s.ids.id(), note: 'retry', runAt: at(1) };
      await s.repos.runs.insertTriggered(first, 'first body');
      expect(await s.repos.runs.insertTriggered(second, 'second body')).toEqual(first);
      expect(await s.repos.runs.get(space.id, second.id)).toBeUndefined();
      expect(await s.repos.runs.requestHash(space.id, first.id)).toBe('first body');
      // A run stored without one, and a synced run, have no fingerprint.
      const unknown = { ...base, id: s.ids.id(), externalId: 'signalbox__lost' };
      await s.repos.runs.insertTriggered(unknown, null);
      expect(await s.repos.runs.requestHash(space.id, unknown.id)).toBeNull();
      // ...until the request that created it stores it too: its fingerprint is kept, and only that one.
      await s.repos.runs.insertTriggered({ ...unknown, id: s.ids.id() }, 'creator body');
      await s.repos.runs.insertTriggered({ ...unknown, id: s.ids.id() }, 'later body');
      expect(await s.repos.runs.requestHash(space.id, unknown.id)).toBe('creator body');
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'synced')], at(2));
      const synced = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'synced'))!;
      expect(await s.repos.runs.requestHash(space.id, synced.id)).toBeNull();
    });

    it('lists a pipeline’s runs newest first (run time, then id), filtered, paged with totals', async () => {
      const s = subject();
      const { space, connector, pipeline, otherPipeline } = await withPipeline(s);
      await s.repos.runs.upsertFromProvider(
        connector,
        [
          providerRun('etl', 'a', { startedAt: at(1), status: 'success' }),
          providerRun('etl', 'b', { startedAt: at(3), status: 'failed', runType: 'manual' }),
          providerRun('etl', 'c', { startedAt: at(2), status: 'success', runType: 'backfill' }),
          providerRun('etl', 'd', { queuedAt: at(5), status: 'queued' }),
          providerRun('etl', 'e', { startedAt: at(3), status: 'success' }),
          providerRun('other', 'z', { startedAt: at(9) }),
        ],
        at(10),
      );
      const all = await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page());
      expect(all.total).toBe(5);
      const ids = all.items.map((r) => r.externalId);
      const tie = all.items.filter((r) => r.runAt.getTime() === at(3).getTime()).map((r) => r.id);
      expect(tie).toEqual([...tie].sort().reverse());
      expect(ids[0]).toBe('d');
      expect(ids.slice(3)).toEqual(['c', 'a']);
      const ext = async (f: RunFilter, p = page()) => (await s.repos.runs.listForPipeline(space.id, pipeline.id, f, p)).items.map((r) => r.externalId);
      expect(await ext({ status: ['success'] })).toEqual(['e', 'c', 'a']);
      expect(await ext({ runType: ['manual'] })).toEqual(['b']);
      expect(await ext({ runType: ['backfill'], status: ['success'] })).toEqual(['c']);
      expect(await ext({ status: ['queued', 'failed'] })).toEqual(['d', 'b']);
      expect(await ext({ runType: ['manual', 'backfill'] })).toEqual(['b', 'c']);
      expect(await ext({ runType: ['manual', 'backfill'], status: ['success', 'queued'] })).toEqual(['c']);
      expect(await ext({ status: [], runType: [] })).toHaveLength(5);
      expect((await s.repos.runs.listForPipeline(space.id, pipeline.id, { status: ['success', 'queued'] }, page(1, 1))).total).toBe(4);
      expect(await ext({ startedFrom: at(2), startedTo: at(2) })).toEqual(['c']);
      expect((await ext({ startedFrom: at(2) })).sort()).toEqual(['b', 'c', 'e']);
      expect(await ext({ startedTo: at(1) })).toEqual(['a']);
      const second = await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page(2, 2));
      expect(second.total).toBe(5);
      expect(second.items.map((r) => r.externalId)).toEqual(ids.slice(2, 4));
      expect((await s.repos.runs.latest(space.id, pipeline.id))!.externalId).toBe('d');
      expect((await s.repos.runs.latest(space.id, otherPipeline.id))!.externalId).toBe('z');
      expect(await s.repos.runs.latest(space.id, OTHER)).toBeUndefined();
    });
  });

  describe(`${name}: task runs`, () => {
    const subject = useSubject(make);

    it('inserts task runs of known runs only, keyed by (run, task, map index), and counts them', async () => {
      const s = subject();
      const { space, connector } = await withPipeline(s);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { startedAt: at(0) }), providerRun('other', 'r1', { startedAt: at(0) })], T0);
      const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      const written = await s.repos.taskRuns.upsertFromProvider(
        connector,
        [
          providerTaskRun('etl', 'r1', 'load', {
            startedAt: at(2),
            finishedAt: at(3),
            operator: 'PythonOperator',
            tryNumber: 2,
            status: 'failed',
            nativeStatus: 'failed',
          }),
          providerTaskRun('etl', 'r1', 'map', { mapIndex: 1, startedAt: at(1) }),
          providerTaskRun('etl', 'r1', 'map', { mapIndex: 0, startedAt: at(1) }),
          providerTaskRun('etl', 'r1', 'wait'),
          providerTaskRun('etl', 'r1', 'extract', { startedAt: at(1) }),
          providerTaskRun('etl', 'nope', 'extract'),
          providerTaskRun('ghost', 'r1', 'extract'),
          providerTaskRun('other', 'r1', 'extract'),
        ],
        at(5),
      );
      expect(written).toBe(6);
      const listed = await s.repos.taskRuns.listForRun(space.id, run.id);
      expect(listed.map((t) => t.externalId)).toEqual(['extract', 'map[0]', 'map[1]', 'load', 'wait']);
      expect(listed[3]).toEqual({
        id: expect.any(String),
        spaceId: space.id,
        runId: run.id,
        externalId: 'load',
        taskId: 'load',
        mapIndex: -1,
        status: 'failed',
        nativeStatus: 'failed',
        tryNumber: 2,
        startedAt: at(2),
        finishedAt: at(3),
        durationSeconds: 60,
        operator: 'PythonOperator',
        rows: null,
        error: null,
        plan: null,
        createdAt: at(5),
        updatedAt: at(5),
      });
      expect(await s.repos.taskRuns.get(space.id, listed[3].id)).toEqual(listed[3]);
    });

    it('writes a task run listed twice in one batch once, as the later entry has it', async () => {
      const s = subject();
      const { space, connector } = await withPipeline(s);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { startedAt: at(0) })], T0);
      const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      await s.repos.taskRuns.upsertFromProvider(
        connector,
        [
          providerTaskRun('etl', 'r1', 'load', { status: 'running', tryNumber: 1 }),
          providerTaskRun('etl', 'r1', 'extract'),
          providerTaskRun('etl', 'r1', 'load', { status: 'failed', tryNumber: 2 }),
        ],
        at(1),
      );
      const listed = await s.repos.taskRuns.listForRun(space.id, run.id);
      expect(listed.map((t) => [t.taskId, t.status, t.tryNumber]).sort()).toEqual([
        ['extract', 'success', 1],
        ['load', 'failed', 2],
      ]);
    });

    it('keeps a synced run’s and task run’s times to the millisecond, before 1970 and up to the year 9999', async () => {
      const s = subject();
      const { space, connector } = await withPipeline(s);
      // The last two are a microsecond off when read through a double: a millisecond off as a Date.
      const times = ['1969-12-31T23:59:58.500Z', '1969-07-20T20:17:40.123Z', '9876-05-04T03:02:01.123Z', '9999-12-31T23:59:59.001Z'].map(
        (iso) => new Date(iso),
      );
      const [before, moon, far, last] = times;
      await s.repos.runs.upsertFromProvider(
        connector,
        [
          providerRun('etl', 'r1', { logicalDate: before, queuedAt: moon, startedAt: far, finishedAt: last }),
          providerRun('etl', 'r2', { logicalDate: last, queuedAt: far, startedAt: moon, finishedAt: before }),
        ],
        T0,
      );
      const r1 = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      const r2 = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r2'))!;
      expect([r1.logicalDate, r1.queuedAt, r1.startedAt, r1.finishedAt, r1.runAt]).toEqual([before, moon, far, last, far]);
      expect([r2.logicalDate, r2.queuedAt, r2.startedAt, r2.finishedAt, r2.runAt]).toEqual([last, far, moon, before, moon]);
      await s.repos.taskRuns.upsertFromProvider(
        connector,
        times.map((startedAt, i) => providerTaskRun('etl', 'r1', `t${i}`, { startedAt, finishedAt: times[times.length - 1 - i] })),
        T0,
      );
      const stored = (await s.repos.taskRuns.listForRun(space.id, r1.id)).sort((a, b) => a.taskId.localeCompare(b.taskId));
      expect(stored.map((t) => [t.taskId, t.startedAt, t.finishedAt])).toEqual(times.map((startedAt, i) => [`t${i}`, startedAt, times[times.length - 1 - i]]));
    });

    it('updates on a re-run without duplicating, and is absent from another space', async () => {
      const s = subject();
      const { space, connector } = await withPipeline(s);
      const other = await aSpace(s);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { startedAt: at(0) })], T0);
      const run = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      const t = providerTaskRun('etl', 'r1', 'load', { status: 'running' });
      await s.repos.taskRuns.upsertFromProvider(connector, [t], at(1));
      const [first] = await s.repos.taskRuns.listForRun(space.id, run.id);
      await Promise.all([1, 2].map(() => s.repos.taskRuns.upsertFromProvider(connector, [{ ...t, status: 'success', tryNumber: 3 }], at(2))));
      const listed = await s.repos.taskRuns.listForRun(space.id, run.id);
      expect(listed).toEqual([{ ...first, status: 'success', tryNumber: 3, updatedAt: at(2) }]);
      expect(await s.repos.taskRuns.get(other.id, first.id)).toBeUndefined();
      expect(await s.repos.taskRuns.listForRun(other.id, run.id)).toEqual([]);
      expect(await s.repos.taskRuns.get(space.id, OTHER)).toBeUndefined();
    });
  });

  describe(`${name}: comments`, () => {
    const subject = useSubject(make);

    async function withRun(s: ContractSubject) {
      const setting = await withPipeline(s);
      await s.repos.runs.upsertFromProvider(
        setting.connector,
        [providerRun('etl', 'r1', { startedAt: at(0) }), providerRun('etl', 'r2', { startedAt: at(1) })],
        T0,
      );
      await s.repos.taskRuns.upsertFromProvider(setting.connector, [providerTaskRun('etl', 'r1', 'load')], T0);
      const run = (await s.repos.runs.getByExternalId(setting.space.id, setting.connector.id, 'etl', 'r1'))!;
      const run2 = (await s.repos.runs.getByExternalId(setting.space.id, setting.connector.id, 'etl', 'r2'))!;
      const [task] = await s.repos.taskRuns.listForRun(setting.space.id, run.id);
      return { ...setting, run, run2, task };
    }

    it('stores comments on runs and task runs and lists a target’s oldest first with totals', async () => {
      const s = subject();
      const { space, run, run2, task } = await withRun(s);
      const author = await aUser(s);
      const comment = (target: { kind: 'run' | 'task_run'; id: string }, minutes: number) => ({
        id: s.ids.id(),
        spaceId: space.id,
        target,
        authorId: author.id,
        body: `at ${minutes}`,
        createdAt: at(minutes),
        updatedAt: at(minutes),
      });
      const onRun = [comment({ kind: 'run', id: run.id }, 3), comment({ kind: 'run', id: run.id }, 1), comment({ kind: 'run', id: run.id }, 2)];
      const onTask = comment({ kind: 'task_run', id: task.id }, 0);
      for (const c of [...onRun, onTask, comment({ kind: 'run', id: run2.id }, 0)]) await s.repos.comments.create(c);
      expect(await s.repos.comments.get(space.id, onTask.id)).toEqual(onTask);
      const first = await s.repos.comments.list(space.id, { kind: 'run', id: run.id }, page(1, 2));
      expect(first).toEqual({ items: [onRun[1], onRun[2]], total: 3 });
      expect(await s.repos.comments.list(space.id, { kind: 'run', id: run.id }, page(2, 2))).toEqual({ items: [onRun[0]], total: 3 });
      expect(await s.repos.comments.list(space.id, { kind: 'task_run', id: task.id }, page())).toEqual({ items: [onTask], total: 1 });
    });

    it('edits and deletes in its space only', async () => {
      const s = subject();
      const { space, run } = await withRun(s);
      const other = await aSpace(s);
      const author = await aUser(s);
      const c = {
        id: s.ids.id(),
        spaceId: space.id,
        target: { kind: 'run' as const, id: run.id },
        authorId: author.id,
        body: 'hi',
        createdAt: T0,
        updatedAt: T0,
      };
      await s.repos.comments.create(c);
      expect(await s.repos.comments.get(other.id, c.id)).toBeUndefined();
      expect(await s.repos.comments.list(other.id, c.target, page())).toEqual({ items: [], total: 0 });
      expect(await s.repos.comments.updateBody(other.id, c.id, 'x', at(1))).toBe(false);
      expect(await s.repos.comments.updateBody(space.id, c.id, 'edited', at(1))).toBe(true);
      expect(await s.repos.comments.get(space.id, c.id)).toEqual({ ...c, body: 'edited', updatedAt: at(1) });
      expect(await s.repos.comments.delete(other.id, c.id)).toBe(false);
      expect(await s.repos.comments.delete(space.id, c.id)).toBe(true);
      expect(await s.repos.comments.delete(space.id, c.id)).toBe(false);
      expect(await s.repos.comments.get(space.id, c.id)).toBeUndefined();
      expect(await s.repos.comments.updateBody(space.id, OTHER, 'x', at(1))).toBe(false);
    });
  });
}
