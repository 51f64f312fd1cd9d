import { newConnector } from '../../connector/connector';
import type { Pipeline } from '../../pipeline/pipeline';
import type { Run, RunProgress } from '../../run/run';
import type { TaskRun } from '../../task-run/task-run';
import {
  aConnector,
  aManagedRun,
  aSpace,
  aStep,
  at,
  aUser,
  type ContractSubject,
  type MakeRepositories,
  page,
  providerPipeline,
  providerRun,
  RUN_OPTIONS,
  somePipelines,
  T0,
  useSubject,
} from './fixtures';
import { storeManaged } from './managed-contracts';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DRY = { options: { ...RUN_OPTIONS, dry_run: true } };

/** A space with a managed pipeline on the embedded engine, and another space. */
async function managedSetting(s: ContractSubject) {
  const space = await aSpace(s);
  const other = await aSpace(s);
  const { pipeline } = await storeManaged(s, space.id, 'orders');
  return { space, other, pipeline };
}

/** Stores a queued run of `pipeline` stored at minute `minute` (its place in the queue). */
async function storedAt(s: ContractSubject, pipeline: Pipeline, minute: number, managed = {}) {
  const run = aManagedRun(s, pipeline, { createdAt: at(minute), queuedAt: at(minute), runAt: at(minute), updatedAt: at(minute) }, managed);
  await s.repos.runs.insertTriggered(run, null);
  return run;
}

const statusOf = async (s: ContractSubject, run: Run) => (await s.repos.runs.get(run.spaceId, run.id))?.status;

/**
 * RunRepository's managed runs (updateManaged, startManaged, requestCancel), TaskRunRepository.putSteps,
 * the pipeline's incremental state and last run, ConnectorRepository.getByName.
 */
export function managedRunContracts(name: string, make: MakeRepositories) {
  describe(`${name}: managed runs`, () => {
    const subject = useSubject(make);

    it("lists a pipeline's runs of one version only (versionId); an unknown or malformed version id lists none", async () => {
      const s = subject();
      const space = await aSpace(s);
      const { pipeline, version } = await storeManaged(s, space.id, 'versioned');
      const v2 = { ...version, id: s.ids.id(), number: 2 };
      await s.repos.versions.create(v2);
      const first = await storedAt(s, pipeline, 1);
      const second = await storedAt(s, pipeline, 2, { pipelineVersionId: v2.id });
      const ids = async (versionId?: string) =>
        (await s.repos.runs.listForPipeline(space.id, pipeline.id, versionId === undefined ? {} : { versionId }, page())).items.map((r) => r.id);
      expect(await ids()).toEqual([second.id, first.id]);
      expect(await ids(pipeline.managed?.currentVersion.id)).toEqual([first.id]);
      expect(await ids(v2.id)).toEqual([second.id]);
      expect(await ids('00000000-0000-4000-8000-000000000000')).toEqual([]);
      expect(await ids('not-a-uuid')).toEqual([]);
      expect((await s.repos.runs.listForPipeline(space.id, pipeline.id, { versionId: v2.id }, page())).total).toBe(1);
    });

    it('finds the space of a pipeline among the spaces a user can see, in one lookup', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const member = await aUser(s);
      const stranger = await aUser(s);
      await s.repos.memberships.put({ spaceId: space.id, userId: member.id, role: 'viewer', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: other.id, userId: stranger.id, role: 'admin', createdAt: T0 });
      expect(await s.repos.spaces.getVisibleByPipeline(pipeline.id, member.id, false)).toEqual(space);
      expect(await s.repos.spaces.getVisibleByPipeline(pipeline.id, stranger.id, false)).toBeUndefined();
      expect(await s.repos.spaces.getVisibleByPipeline(pipeline.id, stranger.id, true)).toEqual(space);
      expect(await s.repos.spaces.getVisibleByPipeline(OTHER, member.id, false)).toBeUndefined();
      expect(await s.repos.spaces.getVisibleByPipeline(OTHER, member.id, true)).toBeUndefined();
      expect(await s.repos.spaces.getVisibleByPipeline('not-a-uuid', member.id, true)).toBeUndefined();
    });

    it('stores a managed run, with or without a connector, and reads it back wherever runs are read', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const run = aManagedRun(
        s,
        pipeline,
        { conf: { x: 1 }, note: 'by hand' },
        {
          options: { full_refresh: true, dry_run: false, variables: { day: '2026-01-01', n: 3, on: true, none: null }, from_step: 'one' },
          progress: { stage: 'load', step: 'one', rows_processed: 12, steps_done: 1, steps_total: 2 },
          rowsLoaded: 5_000_000_000,
          durationMs: 86_400_000_123,
          engine: { type: 'embedded', manifest: { spec: { tasks: [1, 'two'] } }, metadata: { name: 'wf' } },
          error: { code: 'STEP_FAILED', message: 'boom', step: 'one' },
          cancelRequestedAt: at(3),
        },
      );
      expect(run.connectorId).toBeNull();
      expect(await s.repos.runs.insertTriggered(run, 'fingerprint')).toEqual(run);
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(run);
      expect(await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page())).toEqual({ items: [run], total: 1 });
      expect(await s.repos.runs.latest(space.id, pipeline.id)).toEqual(run);
      expect(await s.repos.runs.requestHash(space.id, run.id)).toBe('fingerprint');
      // A replay of its key (pipeline, external id) answers the stored run and stores nothing.
      expect(await s.repos.runs.insertTriggered({ ...run, id: s.ids.id(), note: 'again' }, 'other')).toEqual(run);
      expect((await s.repos.runs.listForPipeline(space.id, pipeline.id, {}, page())).total).toBe(1);
      expect(await s.repos.runs.requestHash(space.id, run.id)).toBe('fingerprint');
      // Another space sees none of it, and cannot store a run of this pipeline.
      expect(await s.repos.runs.get(other.id, run.id)).toBeUndefined();
      expect(await s.repos.runs.latest(other.id, pipeline.id)).toBeUndefined();
      await expect(s.repos.runs.insertTriggered({ ...aManagedRun(s, pipeline), spaceId: other.id }, null)).rejects.toMatchObject({ kind: 'not_found' });
      // On an engine with a connector the run keeps it, and is found by (connector, pipeline name, external id) as synced runs are.
      const connector = await aConnector(s, space.id);
      const { pipeline: remote } = await storeManaged(s, space.id, 'remote', { connectorId: connector.id });
      const remoteRun = aManagedRun(s, remote);
      expect(await s.repos.runs.insertTriggered(remoteRun, null)).toEqual(remoteRun);
      expect(remoteRun.connectorId).toBe(connector.id);
      expect(await s.repos.runs.getByExternalId(space.id, connector.id, 'remote', remoteRun.externalId)).toEqual(remoteRun);
      expect(await s.repos.runs.getByExternalId(other.id, connector.id, 'remote', remoteRun.externalId)).toBeUndefined();
    });

    it('writes what the engine reports, the given fields only, and never changes a finished run', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const run = await storedAt(s, pipeline, 0);
      const progress: RunProgress = { stage: 'extract', step: 'one', rows_processed: 0, steps_done: 0, steps_total: 1 };
      const update = (spaceId: string, id: string, patch: Parameters<typeof s.repos.runs.updateManaged>[2], minute: number) =>
        s.repos.runs.updateManaged(spaceId, id, patch, at(minute));
      expect(await update(space.id, run.id, { status: 'running', nativeStatus: 'Running', startedAt: at(1), progress }, 1)).toBe(true);
      // The run time follows the start, as runAtOf says.
      let stored: Run = {
        ...run,
        status: 'running',
        nativeStatus: 'Running',
        startedAt: at(1),
        runAt: at(1),
        updatedAt: at(1),
        managed: { ...run.managed!, progress },
      };
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(stored);

      const error = { code: 'WAREHOUSE_UNREACHABLE', message: 'connection refused', step: 'one' };
      const engine = { type: 'embedded', manifest: null, metadata: { worker: 'w1' } };
      expect(await update(space.id, run.id, { error, rowsLoaded: 7, engine }, 2)).toBe(true);
      stored = { ...stored, updatedAt: at(2), managed: { ...stored.managed!, error, rowsLoaded: 7, engine } };
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(stored);
      // null clears a field.
      expect(await update(space.id, run.id, { error: null }, 3)).toBe(true);
      stored = { ...stored, updatedAt: at(3), managed: { ...stored.managed!, error: null } };
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(stored);

      const done: RunProgress = { stage: 'extract', step: 'one', rows_processed: 7, steps_done: 1, steps_total: 1 };
      expect(await update(space.id, run.id, { status: 'failed', finishedAt: at(4), durationSeconds: 180, durationMs: 180_000, progress: done }, 4)).toBe(true);
      stored = {
        ...stored,
        status: 'failed',
        finishedAt: at(4),
        durationSeconds: 180,
        updatedAt: at(4),
        managed: { ...stored.managed!, durationMs: 180_000, progress: done },
      };
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(stored);
      // A late write (of a worker that lost the run) cannot undo the outcome.
      expect(await update(space.id, run.id, { status: 'success', rowsLoaded: 99 }, 5)).toBe(false);
      expect(await update(space.id, run.id, { progress }, 5)).toBe(false);
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(stored);

      // Absent: in another space, unknown, not an id, or a synced run.
      const queued = await storedAt(s, pipeline, 10);
      expect(await update(other.id, queued.id, { rowsLoaded: 1 }, 6)).toBe(false);
      expect(await update(space.id, OTHER, { rowsLoaded: 1 }, 6)).toBe(false);
      expect(await update(space.id, 'not-an-id', { rowsLoaded: 1 }, 6)).toBe(false);
      expect(await s.repos.runs.get(space.id, queued.id)).toEqual(queued);
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('etl')]);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { status: 'running', startedAt: at(1) })], at(1));
      const synced = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      expect(await update(space.id, synced.id, { status: 'failed' }, 6)).toBe(false);
      expect(await s.repos.runs.get(space.id, synced.id)).toEqual(synced);
    });

    it('starts a queued run when its pipeline has room; anything else is not queued', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const run = await storedAt(s, pipeline, 0);
      expect(await s.repos.runs.startManaged(other.id, run.id, 1, at(1))).toBe('not_queued');
      expect(await s.repos.runs.startManaged(space.id, OTHER, 1, at(1))).toBe('not_queued');
      expect(await s.repos.runs.startManaged(space.id, 'not-an-id', 1, at(1))).toBe('not_queued');
      expect(await s.repos.runs.get(space.id, run.id)).toEqual(run);
      expect(await s.repos.runs.startManaged(space.id, run.id, 1, at(1))).toBe('started');
      expect(await s.repos.runs.get(space.id, run.id)).toEqual({ ...run, status: 'running', startedAt: at(1), runAt: at(1), updatedAt: at(1) });
      // Running already (a resumed run), then finished.
      expect(await s.repos.runs.startManaged(space.id, run.id, 1, at(2))).toBe('not_queued');
      await s.repos.runs.updateManaged(space.id, run.id, { status: 'success', finishedAt: at(3) }, at(3));
      expect(await s.repos.runs.startManaged(space.id, run.id, 1, at(4))).toBe('not_queued');
      // A synced run is never started here.
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('etl')]);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { status: 'queued', queuedAt: at(1) })], at(1));
      const synced = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      expect(await s.repos.runs.startManaged(space.id, synced.id, 1, at(5))).toBe('not_queued');
      expect(await statusOf(s, synced)).toBe('queued');
    });

    it('honours max_active_runs and the queue: an older queued run goes first', async () => {
      const s = subject();
      const { space, pipeline } = await managedSetting(s);
      const [a, b, c, d] = [await storedAt(s, pipeline, 0), await storedAt(s, pipeline, 1), await storedAt(s, pipeline, 2), await storedAt(s, pipeline, 3)];
      const start = (run: Run, limit = 2) => s.repos.runs.startManaged(space.id, run.id, limit, at(10));
      expect(await start(c)).toBe('busy');
      expect(await start(a)).toBe('started');
      expect(await start(c)).toBe('busy');
      expect(await start(b)).toBe('started');
      // Two running: the limit is reached, for the oldest queued one too; a higher limit makes room.
      expect(await start(c)).toBe('busy');
      expect(await start(c, 3)).toBe('started');
      await s.repos.runs.updateManaged(space.id, a.id, { status: 'success', finishedAt: at(11) }, at(11));
      await s.repos.runs.updateManaged(space.id, b.id, { status: 'failed', finishedAt: at(11) }, at(11));
      expect(await start(d, 1)).toBe('busy');
      expect(await start(d)).toBe('started');
      expect(await Promise.all([a, b, c, d].map((r) => statusOf(s, r)))).toEqual(['success', 'failed', 'running', 'running']);

      // A canceled run leaves the queue; another pipeline's runs neither count nor queue.
      const [e, f] = [await storedAt(s, pipeline, 4), await storedAt(s, pipeline, 5)];
      const { pipeline: second } = await storeManaged(s, space.id, 'second');
      const g = await storedAt(s, second, 0);
      expect(await start(g, 1)).toBe('started');
      expect(await start(f, 3)).toBe('busy');
      await s.repos.runs.requestCancel(space.id, e.id, at(12));
      expect(await start(f, 3)).toBe('started');
    });

    it('lets dry runs bypass the limit and the queue, and never counts them', async () => {
      const s = subject();
      const { space, pipeline } = await managedSetting(s);
      const dry = await storedAt(s, pipeline, 0, DRY);
      const a = await storedAt(s, pipeline, 1);
      const b = await storedAt(s, pipeline, 2);
      // An older dry run does not hold the queue.
      expect(await s.repos.runs.startManaged(space.id, a.id, 1, at(10))).toBe('started');
      // Nor waits for the limit.
      expect(await s.repos.runs.startManaged(space.id, dry.id, 1, at(10))).toBe('started');
      const dry2 = await storedAt(s, pipeline, 3, DRY);
      expect(await s.repos.runs.startManaged(space.id, dry2.id, 1, at(10))).toBe('started');
      expect(await s.repos.runs.startManaged(space.id, b.id, 1, at(10))).toBe('busy');
      await s.repos.runs.updateManaged(space.id, a.id, { status: 'success', finishedAt: at(11) }, at(11));
      // Two dry runs are running: they do not count.
      expect(await s.repos.runs.startManaged(space.id, b.id, 1, at(12))).toBe('started');
      expect(await Promise.all([dry, a, b, dry2].map((r) => statusOf(s, r)))).toEqual(['running', 'success', 'running', 'running']);
    });

    it('starts no more than max_active_runs of many concurrent starts, oldest first', async () => {
      const s = subject();
      const { space, pipeline } = await managedSetting(s);
      const runs: Run[] = [];
      for (let i = 0; i < 10; i++) runs.push(await storedAt(s, pipeline, i));
      const started: string[] = [];
      // Rounds of concurrent starts of every run, until a round starts none.
      for (let round = 0; round < 10; round++) {
        const outcomes = await Promise.all(runs.map((r) => s.repos.runs.startManaged(space.id, r.id, 2, at(20))));
        const now = runs.filter((_, i) => outcomes[i] === 'started').map((r) => r.id);
        started.push(...now);
        expect(started.length).toBeLessThanOrEqual(2);
        if (now.length === 0) break;
      }
      expect(started.sort()).toEqual([runs[0].id, runs[1].id].sort());
      expect(await Promise.all(runs.map((r) => statusOf(s, r)))).toEqual([...Array(2).fill('running'), ...Array(8).fill('queued')]);
    });

    it('counts only after a start in progress has ended, even for a run stored out of queue order', async () => {
      const s = subject();
      const { space, pipeline } = await managedSetting(s);
      const newer = await storedAt(s, pipeline, 2);
      let inProgress!: () => void;
      const begun = new Promise<void>((resolve) => {
        inProgress = resolve;
      });
      const first = s.uow.run(async (r) => {
        const outcome = await r.runs.startManaged(space.id, newer.id, 1, at(3));
        inProgress();
        await pause(300);
        return outcome;
      });
      await begun;
      // Stored while the first start has not committed, with an earlier place in the queue (another process's clock).
      const older = await storedAt(s, pipeline, 1);
      const second = await s.repos.runs.startManaged(space.id, older.id, 1, at(3));
      expect(await first).toBe('started');
      expect(second).toBe('busy');
      expect([await statusOf(s, newer), await statusOf(s, older)]).toEqual(['running', 'queued']);
    });

    it('cancels a queued run at once, marks a running one, and leaves a finished one', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const queued = await storedAt(s, pipeline, 0);
      const canceled = { ...queued, status: 'canceled' as const, finishedAt: at(1), updatedAt: at(1) };
      expect(await s.repos.runs.requestCancel(other.id, queued.id, at(1))).toBeUndefined();
      expect(await s.repos.runs.requestCancel(space.id, OTHER, at(1))).toBeUndefined();
      expect(await s.repos.runs.get(space.id, queued.id)).toEqual(queued);
      expect(await s.repos.runs.requestCancel(space.id, queued.id, at(1))).toEqual(canceled);
      expect(await s.repos.runs.get(space.id, queued.id)).toEqual(canceled);
      expect(await s.repos.runs.startManaged(space.id, queued.id, 1, at(2))).toBe('not_queued');
      expect(await s.repos.runs.updateManaged(space.id, queued.id, { status: 'running' }, at(2))).toBe(false);
      expect(await s.repos.runs.requestCancel(space.id, queued.id, at(3))).toEqual(canceled);

      const running = await storedAt(s, pipeline, 1);
      await s.repos.runs.startManaged(space.id, running.id, 1, at(2));
      const marked = {
        ...running,
        status: 'running' as const,
        startedAt: at(2),
        runAt: at(2),
        updatedAt: at(3),
        managed: { ...running.managed!, cancelRequestedAt: at(3) },
      };
      expect(await s.repos.runs.requestCancel(other.id, running.id, at(3))).toBeUndefined();
      expect(await s.repos.runs.requestCancel(space.id, running.id, at(3))).toEqual(marked);
      // A second request keeps the first one's time.
      expect(await s.repos.runs.requestCancel(space.id, running.id, at(4))).toEqual(marked);
      expect(await s.repos.runs.get(space.id, running.id)).toEqual(marked);
      // Its engine stops it; after that, a request changes nothing.
      await s.repos.runs.updateManaged(space.id, running.id, { status: 'canceled', finishedAt: at(5) }, at(5));
      const stopped = { ...marked, status: 'canceled' as const, finishedAt: at(5), updatedAt: at(5) };
      expect(await s.repos.runs.requestCancel(space.id, running.id, at(6))).toEqual(stopped);
      expect(await s.repos.runs.get(space.id, running.id)).toEqual(stopped);

      // A synced run is read back as it is.
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('etl')]);
      await s.repos.runs.upsertFromProvider(connector, [providerRun('etl', 'r1', { status: 'queued', queuedAt: at(1) })], at(1));
      const synced = (await s.repos.runs.getByExternalId(space.id, connector.id, 'etl', 'r1'))!;
      expect(await s.repos.runs.requestCancel(space.id, synced.id, at(7))).toEqual(synced);
      expect(await s.repos.runs.get(space.id, synced.id)).toEqual(synced);
    });

    it('lets exactly one of a concurrent cancel and start of a queued run take effect', async () => {
      const s = subject();
      const { space, pipeline } = await managedSetting(s);
      for (let i = 0; i < 5; i++) {
        const run = await storedAt(s, pipeline, i);
        const [canceled, started] = await Promise.all([
          s.repos.runs.requestCancel(space.id, run.id, at(10)),
          s.repos.runs.startManaged(space.id, run.id, 10, at(10)),
        ]);
        const final = (await s.repos.runs.get(space.id, run.id))!;
        if (started === 'started') expect(final).toMatchObject({ status: 'running', finishedAt: null, managed: { cancelRequestedAt: at(10) } });
        else expect(final).toMatchObject({ status: 'canceled', finishedAt: at(10), managed: { cancelRequestedAt: null } });
        // Whichever came second saw the first one's outcome.
        expect(canceled).toEqual(final);
      }
    });
  });

  describe(`${name}: managed run steps, incremental state, last run, connectors by name`, () => {
    const subject = useSubject(make);

    it('inserts a run’s steps, then replaces each by (run, task, map index), keeping its id and creation time', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const run = await storedAt(s, pipeline, 0);
      const step = (taskId: string, fields: Partial<TaskRun> = {}) => aStep(s, run, taskId, fields);
      const extract = step('extract', { status: 'success', finishedAt: at(2), durationSeconds: 60, rows: 6_000_000_000 });
      const load = step('analytics.orders', { startedAt: at(2), plan: { plan: [{ Plan: { 'Node Type': 'Seq Scan', 'Plan Rows': 42 } }], estimatedRows: 42 } });
      await s.repos.taskRuns.putSteps([extract, load]);
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([extract, load]);
      expect(await s.repos.taskRuns.get(space.id, load.id)).toEqual(load);

      const failed: TaskRun = {
        ...load,
        id: s.ids.id(),
        status: 'failed',
        nativeStatus: 'failed',
        tryNumber: 2,
        finishedAt: at(3),
        durationSeconds: 60,
        error: 'relation "staging.x" does not exist',
        plan: null,
        rows: 0,
        createdAt: at(3),
        updatedAt: at(3),
      };
      await s.repos.taskRuns.putSteps([failed]);
      const replaced = { ...failed, id: load.id, createdAt: load.createdAt };
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([extract, replaced]);
      expect(await s.repos.taskRuns.get(space.id, failed.id)).toBeUndefined();
      await s.repos.taskRuns.putSteps([]);
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([extract, replaced]);

      // A step claiming another space is not written; another space sees none of them.
      await s.repos.taskRuns.putSteps([step('elsewhere', { spaceId: other.id })]);
      await s.repos.taskRuns.putSteps([step('nowhere', { runId: OTHER })]);
      expect(await s.repos.taskRuns.listForRun(other.id, run.id)).toEqual([]);
      expect(await s.repos.taskRuns.get(other.id, extract.id)).toBeUndefined();
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([extract, replaced]);

      // Once the run has finished, its steps stay as they were: a late worker changes nothing.
      await s.repos.runs.updateManaged(space.id, run.id, { status: 'success', finishedAt: at(4) }, at(4));
      await s.repos.taskRuns.putSteps([{ ...replaced, status: 'running', error: null }, step('late')]);
      expect(await s.repos.taskRuns.listForRun(space.id, run.id)).toEqual([extract, replaced]);
    });

    it('finds the queued and running managed runs that have no job, across spaces, oldest first', async () => {
      const s = subject();
      const { other, pipeline } = await managedSetting(s);
      const { pipeline: elsewhere } = await storeManaged(s, other.id, 'orders');
      const withJob = await storedAt(s, pipeline, 0);
      await s.repos.jobs.enqueue({ name: 'managed-run', key: `run:${withJob.id}`, payload: {} }, s.ids.id(), at(0));
      const orphan = await storedAt(s, pipeline, 1);
      const running = await storedAt(s, elsewhere, 2);
      await s.repos.runs.startManaged(other.id, running.id, 1, at(3));
      const done = await storedAt(s, pipeline, 3);
      await s.repos.runs.updateManaged(done.spaceId, done.id, { status: 'failed', finishedAt: at(4) }, at(4));
      expect((await s.repos.runs.orphanedManaged('run:', 10)).map((r) => [r.id, r.status])).toEqual([
        [orphan.id, 'queued'],
        [running.id, 'running'],
      ]);
      expect((await s.repos.runs.orphanedManaged('run:', 1)).map((r) => r.id)).toEqual([orphan.id]);
      // Another prefix names other jobs: the job of the first run is not its job then.
      expect((await s.repos.runs.orphanedManaged('other:', 10)).map((r) => r.id)).toEqual([withJob.id, orphan.id, running.id]);
    });

    it('merges a pipeline’s incremental state by step, in its space only', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const { pipeline: second } = await storeManaged(s, space.id, 'second');
      expect(await s.repos.pipelines.incrementalState(space.id, pipeline.id)).toEqual({});
      await s.repos.pipelines.saveIncrementalState(space.id, pipeline.id, { orders: '2026-01-01T00:00:00Z' });
      await s.repos.pipelines.saveIncrementalState(space.id, pipeline.id, { customers: '42' });
      expect(await s.repos.pipelines.incrementalState(space.id, pipeline.id)).toEqual({ orders: '2026-01-01T00:00:00Z', customers: '42' });
      await s.repos.pipelines.saveIncrementalState(space.id, pipeline.id, { orders: '2026-01-02T00:00:00Z' });
      await s.repos.pipelines.saveIncrementalState(space.id, pipeline.id, {});
      const state = { orders: '2026-01-02T00:00:00Z', customers: '42' };
      expect(await s.repos.pipelines.incrementalState(space.id, pipeline.id)).toEqual(state);
      expect(await s.repos.pipelines.incrementalState(space.id, second.id)).toEqual({});
      // Another space neither reads nor writes it; an unknown pipeline has none.
      await s.repos.pipelines.saveIncrementalState(other.id, pipeline.id, { orders: 'x' });
      expect(await s.repos.pipelines.incrementalState(other.id, pipeline.id)).toEqual({});
      expect(await s.repos.pipelines.incrementalState(space.id, pipeline.id)).toEqual(state);
      expect(await s.repos.pipelines.incrementalState(space.id, OTHER)).toEqual({});
      await s.repos.pipelines.saveIncrementalState(space.id, OTHER, { orders: 'x' });
      // It is not a field of the pipeline record.
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toEqual(pipeline);
    });

    it('moves a managed pipeline’s last run forward only', async () => {
      const s = subject();
      const { space, other, pipeline } = await managedSetting(s);
      const last = async () => {
        const p = (await s.repos.pipelines.get(space.id, pipeline.id))!;
        return [p.lastRunStatus, p.lastRunAt];
      };
      await s.repos.pipelines.noteLastRun(space.id, pipeline.id, { status: 'failed', runAt: at(5) });
      expect(await last()).toEqual(['failed', at(5)]);
      await s.repos.pipelines.noteLastRun(space.id, pipeline.id, { status: 'success', runAt: at(4) });
      expect(await last()).toEqual(['failed', at(5)]);
      // As recent as the stored one: the later note wins.
      await s.repos.pipelines.noteLastRun(space.id, pipeline.id, { status: 'running', runAt: at(5) });
      expect(await last()).toEqual(['running', at(5)]);
      await s.repos.pipelines.noteLastRun(space.id, pipeline.id, { status: 'success', runAt: at(6) });
      expect(await last()).toEqual(['success', at(6)]);
      await s.repos.pipelines.noteLastRun(other.id, pipeline.id, { status: 'failed', runAt: at(9) });
      await s.repos.pipelines.noteLastRun(space.id, OTHER, { status: 'failed', runAt: at(9) });
      expect(await last()).toEqual(['success', at(6)]);
    });

    it('finds a connector by its exact name in its space, with its secrets', async () => {
      const s = subject();
      const space = await aSpace(s);
      const other = await aSpace(s);
      const connector = await aConnector(s, space.id, 'prod', { token: 'tok-secret' });
      const warehouse = newConnector(
        { id: s.ids.id(), spaceId: space.id, name: 'dwh', type: 'warehouse', config: { url: 'postgres://dwh.example/analytics', password: 'pw' } },
        T0,
      );
      await s.repos.connectors.create(warehouse);
      expect(await s.repos.connectors.getByName(space.id, 'prod')).toEqual(connector);
      expect(await s.repos.connectors.getByName(space.id, 'dwh')).toEqual(warehouse);
      expect(await s.repos.connectors.getByName(space.id, 'Prod')).toBeUndefined();
      expect(await s.repos.connectors.getByName(space.id, 'pro')).toBeUndefined();
      expect(await s.repos.connectors.getByName(other.id, 'prod')).toBeUndefined();
      expect(await s.repos.connectors.getByName('not-an-id', 'prod')).toBeUndefined();
    });

    it('never marks removed the managed pipelines a connector runs when its sync did not list them', async () => {
      const s = subject();
      const space = await aSpace(s);
      const connector = await aConnector(s, space.id);
      const synced = (await somePipelines(s, connector, [providerPipeline('etl')]))('etl');
      const { pipeline } = await storeManaged(s, space.id, 'remote', { connectorId: connector.id });
      expect(await s.repos.pipelines.markRemoved(space.id, connector.id, s.ids.id(), at(1))).toBe(1);
      expect((await s.repos.pipelines.get(space.id, synced.id))?.removedAt).toEqual(at(1));
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toEqual(pipeline);
    });

    it('deletes with a connector the managed pipelines it runs, with their versions, runs and steps', async () => {
      const s = subject();
      const space = await aSpace(s);
      const connector = await aConnector(s, space.id);
      const { pipeline, version } = await storeManaged(s, space.id, 'remote', { connectorId: connector.id });
      const { pipeline: embedded } = await storeManaged(s, space.id, 'local');
      const run = await storedAt(s, pipeline, 0);
      const kept = await storedAt(s, embedded, 0);
      await s.repos.taskRuns.putSteps([
        {
          id: s.ids.id(),
          spaceId: space.id,
          runId: run.id,
          externalId: 'one',
          taskId: 'one',
          mapIndex: -1,
          status: 'success',
          nativeStatus: null,
          tryNumber: 1,
          startedAt: T0,
          finishedAt: T0,
          durationSeconds: 0,
          operator: null,
          rows: 1,
          error: null,
          plan: null,
          createdAt: T0,
          updatedAt: T0,
        },
      ]);
      const [step] = await s.repos.taskRuns.listForRun(space.id, run.id);
      expect(await s.repos.connectors.delete(space.id, connector.id)).toBe(true);
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toBeUndefined();
      expect(await s.repos.versions.get(space.id, pipeline.id, version.id)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, run.id)).toBeUndefined();
      expect(await s.repos.taskRuns.get(space.id, step.id)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, kept.id)).toEqual(kept);
    });
  });
}
