import type { Job } from '../background/job-queue';
import type { Id } from '../common';
import type { StepSpec } from '../definition/spec';
import type { PipelineVersion } from '../pipeline/managed';
import type { Pipeline } from '../pipeline/pipeline';
import type { SqlParser } from '../ports/definition-tools';
import type { ConnectorRepository, PipelineRepository, PipelineVersionRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { Telemetry } from '../ports/telemetry';
import type { UnitOfWork } from '../ports/unit-of-work';
import { isWarehouseError, type StepOutcome, type StepStatement, type Warehouse, type Warehouses, type WarehouseTarget } from '../ports/warehouse';
import { isFinished, type ManagedRun, type Run, type RunError, type RunProgress, type RunStatus } from '../run/run';
import type { TaskRun, TaskRunStatus } from '../task-run/task-run';
import { compileSteps, STAGE_OF, stepsToRun } from './compile';

/** The job that runs one managed run on the embedded engine. */
export const MANAGED_RUN_JOB = 'managed-run';

export interface ManagedRunJobPayload {
  spaceId: Id;
  runId: Id;
}

const RUN_JOB_KEY_PREFIX = 'run:';
export const managedRunJobKey = (runId: Id) => `${RUN_JOB_KEY_PREFIX}${runId}`;

export interface EngineOptions {
  /** How often a running step looks whether a cancel was asked for (by any process). */
  cancelPollMs: number;
  /** A run that must wait behind `max_active_runs` is looked at again after this long. */
  busyRetryMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { cancelPollMs: 500, busyRetryMs: 1000 };

/** A finished run's unit of work that found the run finished by another worker: rolled back, nothing written. */
const NOT_OURS = Symbol('the run was finished elsewhere');

/** Why a run stopped before its steps were done: asked to, out of time, or its worker lost the job. */
class Stop extends Error {
  constructor(
    readonly why: 'canceled' | 'timeout' | 'released',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs managed runs on a warehouse, one job per run: waits its turn behind `max_active_runs`, runs
 * the steps in order (each in one warehouse transaction), records each step as a task run and the
 * run's progress as it goes, and commits incremental cursors only with a success. A run resumed by
 * another worker (its first one died) skips the steps that succeeded and runs the one that was
 * running again: the warehouse's record of committed steps makes that write happen once.
 */
export class EmbeddedEngine {
  constructor(
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly pipelines: PipelineRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly warehouses: Warehouses,
    private readonly parser: SqlParser,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly options: EngineOptions = DEFAULT_ENGINE_OPTIONS,
  ) {}

  /** The job handler. */
  async execute(job: Job, signal: AbortSignal): Promise<undefined | { retryAt: Date }> {
    const { spaceId, runId } = job.payload as unknown as ManagedRunJobPayload;
    let run = await this.runs.get(spaceId, runId);
    if (!run?.managed || isFinished(run.status)) return undefined;
    const pipeline = await this.pipelines.get(spaceId, run.pipelineId);
    const version = pipeline && (await this.versions.get(spaceId, pipeline.id, run.managed.pipelineVersionId));
    if (!pipeline?.managed || !version) return undefined; // deleted with its runs while queued

    if (run.status === 'queued') {
      const limit = run.managed.options.dry_run ? Number.MAX_SAFE_INTEGER : pipeline.managed.maxActiveRuns;
      const started = await this.runs.startManaged(spaceId, runId, limit, this.clock.now());
      if (started === 'busy') return { retryAt: new Date(this.clock.now().getTime() + this.options.busyRetryMs) };
      run = await this.runs.get(spaceId, runId);
      if (!run?.managed || run.status !== 'running') return undefined;
    }
    const running = run as Run & { managed: ManagedRun };
    try {
      await this.runSteps(running, pipeline, version, signal);
    } catch (err) {
      // Whatever went wrong outside a step's statement (its bookkeeping, the warehouse's record of
      // a step done before a takeover) ends the run as failed rather than leaving it running: the
      // job is not tried again in silence. Only a job this worker gave up stays for the next one.
      if (signal.aborted) throw err;
      const failure = this.failureOf(err, null, signal);
      if (failure === 'released') throw err;
      await this.fail(running, failure.error, failure.taskError);
    }
    return undefined;
  }

  /**
   * Fails the managed runs that no job will ever run (their job failed for good, or was lost), so
   * none stays queued or running forever. Every worker does it on each poll; the run's own guard
   * (a finished run is never changed) makes it once.
   */
  async abandonOrphans(limit = 20): Promise<void> {
    for (const run of await this.runs.orphanedManaged(RUN_JOB_KEY_PREFIX, limit)) {
      if (!run.managed) continue;
      const message = 'no worker will run it: its job failed for good or was lost';
      await this.fail(run as Run & { managed: ManagedRun }, { code: 'RUN_ABANDONED', message, step: run.managed.progress.step }, message);
    }
  }

  /** Ends a run as failed where it stands: its running steps failed with the message. */
  private async fail(run: Run & { managed: ManagedRun }, error: RunError, taskError: string): Promise<void> {
    const now = (await this.runs.get(run.spaceId, run.id)) ?? run;
    if (!now.managed) return;
    const running = (await this.taskRuns.listForRun(run.spaceId, run.id)).filter((t) => t.status === 'running');
    const failed = running.map((t): TaskRun => ({ ...t, status: 'failed', error: taskError, ...(t.startedAt ? this.ended(t.startedAt) : {}) }));
    await this.finish({ ...run, managed: now.managed }, 'failed', now.managed.progress, now.managed.rowsLoaded, error, failed);
  }

  private async runSteps(run: Run & { managed: ManagedRun }, pipeline: Pipeline, version: PipelineVersion, jobSignal: AbortSignal): Promise<void> {
    const { options } = run.managed;
    const steps = stepsToRun(version.spec, options.from_step);
    const done = new Map((await this.taskRuns.listForRun(run.spaceId, run.id)).filter((t) => t.status === 'success').map((t) => [t.taskId, t]));
    // A resumed run counts what its first worker finished, from the steps it recorded.
    const rowsOf = (kind?: 'load') => steps.filter((s) => !kind || s.config.job_type === kind).reduce((sum, s) => sum + (done.get(s.name)?.rows ?? 0), 0);
    const progress: RunProgress = {
      ...run.managed.progress,
      steps_total: steps.length,
      steps_done: steps.filter((s) => done.has(s.name)).length,
      rows_processed: rowsOf(),
    };
    let rowsLoaded = steps.some((s) => s.config.job_type === 'load' && done.has(s.name)) ? rowsOf('load') : null;

    const control = this.control(run, pipeline.managed?.timeoutSeconds ?? null, jobSignal);
    try {
      const target = await this.target(run.spaceId, version.spec.warehouse);
      if ('error' in target) {
        return await this.finish(
          run,
          'failed',
          progress,
          rowsLoaded,
          target.error,
          steps.map((s) => this.taskRun(run, s, 'upstream_failed', null)),
        );
      }
      const warehouse = this.warehouses.of(target);
      const statements = await compileSteps(
        {
          runId: run.id,
          pipeline: { id: pipeline.id, name: pipeline.name },
          spec: version.spec,
          options,
          cursors: await this.pipelines.incrementalState(run.spaceId, pipeline.id),
        },
        steps,
        this.parser,
      );
      if (options.dry_run) return await this.dryRun(run, warehouse, steps, statements, progress, control.signal);

      const cursors: Record<string, string> = {};
      // A step's end is written with the next step's start: two writes a step, not four.
      let ended: TaskRun[] = [];
      for (const [i, step] of steps.entries()) {
        const statement = statements[i];
        if (done.has(step.name)) {
          // Done before a takeover: an incremental source's cursor is read back from the warehouse's
          // record of the step, which answers without running anything.
          if (statement.cursorColumn !== undefined) {
            const replay = await warehouse.execute(statement, control.signal);
            if (replay.cursor !== null) cursors[step.name] = replay.cursor;
          }
          continue;
        }
        const startedAt = this.clock.now();
        const task = this.taskRun(run, step, 'running', startedAt);
        progress.stage = STAGE_OF[step.config.job_type];
        progress.step = step.name;
        await this.taskRuns.putSteps([...ended, task]);
        // Finished elsewhere (a worker that took the run over after this one's lease ran out): stop.
        if (!(await this.runs.updateManaged(run.spaceId, run.id, { progress: { ...progress }, rowsLoaded }, startedAt))) return;
        ended = [];
        let outcome: StepOutcome;
        try {
          control.check();
          outcome = await warehouse.execute(statement, control.signal);
        } catch (err) {
          const failure = this.failureOf(err, step, control.signal);
          if (failure === 'released') throw err;
          const failed: TaskRun = { ...task, ...this.ended(startedAt), status: 'failed', error: failure.taskError };
          const notRun = failure.status === 'canceled' ? 'skipped' : 'upstream_failed';
          return await this.finish(run, failure.status, progress, rowsLoaded, failure.error, [
            failed,
            ...steps.slice(i + 1).map((s) => this.taskRun(run, s, notRun, null)),
          ]);
        }
        ended = [{ ...task, ...this.ended(startedAt), status: 'success', rows: outcome.rows }];
        progress.steps_done += 1;
        progress.rows_processed += outcome.rows;
        if (step.config.job_type === 'load') rowsLoaded = (rowsLoaded ?? 0) + outcome.rows;
        if (outcome.cursor !== null && statement.cursorColumn !== undefined) cursors[step.name] = outcome.cursor;
      }
      await this.finish(run, 'success', progress, rowsLoaded, null, ended, cursors);
    } finally {
      control.dispose();
    }
  }

  /** Plans every step in one rolled-back transaction; the run succeeds with each step's plan, or fails with the step that cannot be planned. */
  private async dryRun(
    run: Run & { managed: ManagedRun },
    warehouse: Warehouse,
    steps: StepSpec[],
    statements: StepStatement[],
    progress: RunProgress,
    signal: AbortSignal,
  ): Promise<void> {
    const startedAt = this.clock.now();
    await this.taskRuns.putSteps(steps.map((s) => this.taskRun(run, s, 'running', startedAt)));
    try {
      const plans = await warehouse.plan(statements, signal);
      const planned = steps.map((s, i): TaskRun => ({ ...this.taskRun(run, s, 'success', startedAt), ...this.ended(startedAt), plan: plans[i] }));
      const last = steps.at(-1);
      const stage = last ? STAGE_OF[last.config.job_type] : progress.stage;
      await this.finish(run, 'success', { ...progress, steps_done: steps.length, step: last?.name ?? null, stage }, null, null, planned);
    } catch (err) {
      const failure = this.failureOf(err, null, signal, 'planning');
      if (failure === 'released') throw err;
      await this.taskRuns.putSteps(steps.map((s) => ({ ...this.taskRun(run, s, 'failed', startedAt), ...this.ended(startedAt), error: failure.taskError })));
      await this.finish(run, failure.status, progress, null, failure.error, []);
    }
  }

  /** Ends a run: its status, its steps' last states, and on success the incremental cursors, in one unit. */
  private async finish(
    run: Run & { managed: ManagedRun },
    status: RunStatus,
    progress: RunProgress,
    rowsLoaded: number | null,
    error: RunError | null,
    taskRuns: TaskRun[],
    cursors: Record<string, string> = {},
  ): Promise<void> {
    const now = this.clock.now();
    const startedAt = run.startedAt ?? now;
    const durationMs = Math.max(0, now.getTime() - startedAt.getTime());
    const ended = await this.uow
      .run(async (r) => {
        // The steps first: they are written only while the run is unfinished.
        if (taskRuns.length > 0) await r.taskRuns.putSteps(taskRuns);
        const patch = { status, finishedAt: now, durationSeconds: durationMs / 1000, durationMs, progress: { ...progress }, rowsLoaded, error };
        if (!(await r.runs.updateManaged(run.spaceId, run.id, patch, now))) throw NOT_OURS;
        if (status === 'success' && Object.keys(cursors).length > 0) await r.pipelines.saveIncrementalState(run.spaceId, run.pipelineId, cursors);
        // A dry run changes nothing, the pipeline's status included.
        if (!run.managed.options.dry_run) await r.pipelines.noteLastRun(run.spaceId, run.pipelineId, { status, runAt: run.runAt });
        return true;
      })
      .catch((err: unknown) => {
        if (err === NOT_OURS) return false;
        throw err;
      });
    if (!ended) return;
    this.logger.info('managed run finished', { runId: run.id, status, durationMs, ...(error ? { error: error.message } : {}) });
    this.telemetry.managedRunEnded(status, 'embedded', durationMs);
  }

  /** The warehouse a version runs on (a connector's name, or null for the embedded one), or the run's error when its connector is gone. */
  private async target(spaceId: Id, name: string | null): Promise<WarehouseTarget | { error: RunError }> {
    if (name === null) return { kind: 'embedded', spaceId };
    const connector = await this.connectors.getByName(spaceId, name);
    if (connector?.type !== 'warehouse') {
      return { error: { code: 'WAREHOUSE_UNREACHABLE', message: `the warehouse connector '${name}' does not exist`, step: null } };
    }
    return {
      kind: 'connector',
      spaceId,
      connectorId: connector.id,
      url: String(connector.config.url),
      password: typeof connector.config.password === 'string' ? connector.config.password : null,
    };
  }

  /**
   * The signal a run's statements run under: aborted when the job is (shutdown, lease lost), when a
   * cancel is asked for (seen by polling the run), or at the pipeline's timeout from the run's start.
   */
  private control(run: Run & { managed: ManagedRun }, timeoutSeconds: number | null, jobSignal: AbortSignal) {
    const controller = new AbortController();
    const stop = (why: Stop['why'], message: string) => {
      if (!controller.signal.aborted) controller.abort(new Stop(why, message));
    };
    const onJob = () => stop('released', 'the worker gave the run up');
    if (jobSignal.aborted) onJob();
    jobSignal.addEventListener('abort', onJob, { once: true });
    // The timeout counts from the run's start: a resumed run has what its first worker left of it.
    const left = timeoutSeconds === null ? null : (run.startedAt ?? this.clock.now()).getTime() + timeoutSeconds * 1000 - this.clock.now().getTime();
    const timer =
      left === null ? undefined : setTimeout(() => stop('timeout', `the run took longer than its timeout_seconds (${timeoutSeconds})`), Math.max(0, left));
    const poll = setInterval(() => {
      void this.runs.get(run.spaceId, run.id).then(
        (now) => {
          if (now?.managed?.cancelRequestedAt || (now && isFinished(now.status))) stop('canceled', 'the run was canceled');
        },
        () => undefined,
      );
    }, this.options.cancelPollMs);
    return {
      signal: controller.signal,
      check: () => {
        if (controller.signal.aborted) throw controller.signal.reason;
      },
      dispose: () => {
        clearInterval(poll);
        clearTimeout(timer);
        jobSignal.removeEventListener('abort', onJob);
      },
    };
  }

  /**
   * What a failure means for the run; `released` when the run must be left to the worker that takes
   * it over. `step` is the step whose statement failed; `where` names what failed without one.
   */
  private failureOf(
    err: unknown,
    step: StepSpec | null,
    signal: AbortSignal,
    where = 'the run',
  ): 'released' | { status: RunStatus; error: RunError; taskError: string } {
    const reason: unknown = signal.aborted ? signal.reason : err;
    const name = step?.name ?? null;
    const what = step ? `step '${step.name}'` : where;
    if (reason instanceof Stop) {
      if (reason.why === 'released') return 'released';
      if (reason.why === 'canceled')
        return { status: 'canceled', error: { code: 'RUN_CANCELED', message: reason.message, step: name }, taskError: reason.message };
      return { status: 'failed', error: { code: 'RUN_TIMEOUT', message: `${reason.message}: ${what} was stopped`, step: name }, taskError: reason.message };
    }
    if (isWarehouseError(err)) {
      const message = err.code === 'STEP_FAILED' ? `${what} failed: ${err.message}` : err.message;
      return { status: 'failed', error: { code: err.code, message, step: name }, taskError: err.message };
    }
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error('managed run failed unexpectedly', { step: name, error: message });
    const code = step ? 'STEP_FAILED' : 'ENGINE_ERROR';
    return { status: 'failed', error: { code, message: `${what} failed: ${message}`, step: name }, taskError: message };
  }

  private taskRun(run: Run, step: StepSpec, status: TaskRunStatus, startedAt: Date | null): TaskRun {
    const now = this.clock.now();
    return {
      id: this.ids.id(),
      spaceId: run.spaceId,
      runId: run.id,
      externalId: step.name,
      taskId: step.name,
      mapIndex: -1,
      status,
      nativeStatus: null,
      tryNumber: 1,
      startedAt,
      finishedAt: null,
      durationSeconds: null,
      operator: step.config.job_type,
      rows: null,
      error: null,
      plan: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  private ended(startedAt: Date): Pick<TaskRun, 'finishedAt' | 'durationSeconds'> {
    const now = this.clock.now();
    return { finishedAt: now, durationSeconds: Math.max(0, (now.getTime() - startedAt.getTime()) / 1000) };
  }
}
