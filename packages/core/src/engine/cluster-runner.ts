import type { Job } from '../background/job-queue';
import type { Connector } from '../connector/connector';
import type { JobType } from '../definition/spec';
import { isDomainError } from '../errors';
import type { PipelineVersion } from '../pipeline/managed';
import type { Pipeline } from '../pipeline/pipeline';
import type { ClusterEngine, ClusterEngines, EngineObservation, EnginePlan } from '../ports/cluster-engine';
import type { SqlParser } from '../ports/definition-tools';
import type { ConnectorRepository, PipelineRepository, PipelineVersionRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { Telemetry } from '../ports/telemetry';
import type { UnitOfWork } from '../ports/unit-of-work';
import { isFinished, type ManagedRun, type Run, type RunError, type RunProgress, type RunStatus, workflowNameOf } from '../run/run';
import type { TaskRun } from '../task-run/task-run';
import { compileSteps, STAGE_OF, stepsToRun } from './compile';
import type { ManagedRunJobPayload } from './embedded-engine';

/** The job that submits one managed run to a cluster engine and follows it to its end. */
export const CLUSTER_RUN_JOB = 'cluster-run';

export interface ClusterRunnerOptions {
  /** How often a submitted run is looked at while it runs. */
  followMs: number;
  /** A run that must wait behind `max_active_runs` is looked at again after this long. */
  busyRetryMs: number;
  /** After an engine that could not be reached, the next attempt comes this long after. */
  unreachableRetryMs: number;
}

export const DEFAULT_CLUSTER_RUNNER_OPTIONS: ClusterRunnerOptions = { followMs: 2000, busyRetryMs: 1000, unreachableRetryMs: 5000 };

/** Failures of the engine that pass: the job looks again later instead of failing the run. */
const TRANSIENT = new Set(['unavailable', 'timeout', 'rate_limited']);

type Managed = Run & { managed: ManagedRun };

/**
 * Runs managed runs on a cluster engine (Argo Workflows), one job per run. The job never holds a
 * worker while the run runs: each turn submits or looks at the run once, writes what changed (its
 * steps as task runs, its progress) and puts itself back for the next look. Submission is by the
 * run's deterministic name, so a turn that died after submitting adopts the same workload; a cancel
 * or a timeout stops it in the engine.
 */
export class ClusterRunner {
  constructor(
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly pipelines: PipelineRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly engines: ClusterEngines,
    private readonly parser: SqlParser,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly options: ClusterRunnerOptions = DEFAULT_CLUSTER_RUNNER_OPTIONS,
  ) {}

  /** The job handler: one turn. */
  async execute(job: Job, _signal: AbortSignal): Promise<undefined | { retryAt: Date }> {
    const { spaceId, runId } = job.payload as unknown as ManagedRunJobPayload;
    let run = await this.runs.get(spaceId, runId);
    if (!run?.managed || isFinished(run.status)) return undefined;
    const pipeline = await this.pipelines.get(spaceId, run.pipelineId);
    const version = pipeline && (await this.versions.get(spaceId, pipeline.id, run.managed.pipelineVersionId));
    if (!pipeline?.managed || !version) return undefined; // deleted with its runs while queued

    const connector = await this.connectors.getByName(spaceId, version.spec.engine);
    if (!connector || !this.engines.supports(connector.type)) {
      const message = `the engine connector '${version.spec.engine}' does not exist or cannot run pipelines`;
      await this.finish(run as Managed, 'failed', null, { code: 'ENGINE_UNAVAILABLE', message, step: null });
      return undefined;
    }
    const engine = this.engines.forConnector(connector);

    if (run.status === 'queued') {
      const limit = run.managed.options.dry_run ? Number.MAX_SAFE_INTEGER : pipeline.managed.maxActiveRuns;
      const started = await this.runs.startManaged(spaceId, runId, limit, this.clock.now());
      if (started === 'busy') return this.later(this.options.busyRetryMs);
      run = await this.runs.get(spaceId, runId);
      if (!run?.managed || run.status !== 'running') return undefined;
    }
    const running = run as Managed;
    try {
      if (running.managed.engine.manifest === null) return await this.submit(running, pipeline, version, connector, engine);
      return await this.follow(running, pipeline, version, engine);
    } catch (err) {
      if (isDomainError(err) && TRANSIENT.has(err.kind)) {
        this.logger.warn('cluster engine unreachable; looking again later', { runId, error: err.message });
        return this.later(this.options.unreachableRetryMs);
      }
      const message = err instanceof Error ? err.message : String(err);
      const code = isDomainError(err) ? err.code : 'ENGINE_ERROR';
      this.logger.error('cluster run failed', { runId, error: message });
      const what = isDomainError(err) && err.kind === 'not_found' ? 'the engine no longer knows the run' : 'the engine refused the run';
      await this.finish(running, 'failed', null, { code, message: `${what}: ${message}`, step: null });
      return undefined;
    }
  }

  /** Compiles and submits the run (adopting a workload an earlier turn submitted), and stores what was sent. */
  private async submit(
    run: Managed,
    pipeline: Pipeline,
    version: PipelineVersion,
    connector: Connector,
    engine: ClusterEngine,
  ): Promise<undefined | { retryAt: Date }> {
    if (run.managed.cancelRequestedAt) {
      await this.finish(run, 'canceled', null, { code: 'RUN_CANCELED', message: 'the run was canceled', step: null });
      return undefined;
    }
    const plan = await this.plan(run, pipeline, version);
    const submission = await engine.submit(plan);
    const engineState = { type: connector.type, manifest: submission.manifest, metadata: submission.metadata };
    if (run.managed.options.dry_run) {
      // The engine validated the workload and stored nothing: each step is planned, none ran.
      const now = this.clock.now();
      const planned = plan.steps.map((s) => ({
        ...this.taskRun(run, s.name, s.jobType, now),
        status: 'success' as const,
        finishedAt: now,
        durationSeconds: 0,
        // The engine checked the workload with a server-side dry run; there is no warehouse plan to show.
        plan: { plan: { engine: connector.type, workload: plan.name, sql: s.statement.sql, validated_by: 'server dry run' }, estimatedRows: null },
      }));
      const last = plan.steps.at(-1);
      const progress: RunProgress = {
        ...run.managed.progress,
        stage: last ? STAGE_OF[last.jobType] : run.managed.progress.stage,
        step: last?.name ?? null,
        steps_done: plan.steps.length,
      };
      await this.finish(run, 'success', null, null, planned, { progress, engine: engineState });
      return undefined;
    }
    if (!(await this.runs.updateManaged(run.spaceId, run.id, { engine: engineState, nativeStatus: 'Submitted' }, this.clock.now()))) return undefined;
    this.logger.info('managed run submitted', { runId: run.id, engine: connector.name, workload: plan.name });
    return this.later(this.options.followMs);
  }

  /** Looks at the submitted run once: stops it when asked to or past its timeout, and writes what changed. */
  private async follow(run: Managed, pipeline: Pipeline, version: PipelineVersion, engine: ClusterEngine): Promise<undefined | { retryAt: Date }> {
    const name = workflowNameOf(run.id);
    const jobTypes = new Map(version.spec.steps.map((s) => [s.name, s.config.job_type]));
    const timeoutSeconds = pipeline.managed?.timeoutSeconds ?? null;
    const startedAt = run.startedAt ?? this.clock.now();
    const overdue = timeoutSeconds !== null && this.clock.now().getTime() - startedAt.getTime() > timeoutSeconds * 1000;
    const canceled = run.managed.cancelRequestedAt !== null;
    const stopAsked = run.managed.engine.metadata?.stop_requested === true;
    if ((canceled || overdue) && !stopAsked) {
      const why = canceled ? 'canceled in Signalbox' : `the run took longer than its timeout_seconds (${timeoutSeconds})`;
      await engine.stop(name, why);
      await this.runs.updateManaged(
        run.spaceId,
        run.id,
        {
          engine: { ...run.managed.engine, metadata: { ...run.managed.engine.metadata, stop_requested: true, stop_reason: canceled ? 'canceled' : 'timeout' } },
        },
        this.clock.now(),
      );
      return this.later(Math.min(500, this.options.followMs));
    }
    const seen = await engine.observe(name);
    const steps = await this.stepsOf(run, seen, jobTypes);
    const progress = this.progressOf(run, seen, jobTypes);
    const engineState = { ...run.managed.engine, metadata: { ...run.managed.engine.metadata, ...seen.metadata } };
    if (seen.status === 'success' || seen.status === 'failed') {
      const reason = run.managed.engine.metadata?.stop_reason;
      const failedStep = seen.steps.find((s) => s.status === 'failed');
      let status: RunStatus = seen.status;
      let error: RunError | null = null;
      if (seen.status === 'failed') {
        if (reason === 'canceled') {
          status = 'canceled';
          error = { code: 'RUN_CANCELED', message: 'the run was canceled', step: failedStep?.name ?? null };
        } else if (reason === 'timeout') {
          error = { code: 'RUN_TIMEOUT', message: `the run took longer than its timeout_seconds (${timeoutSeconds})`, step: failedStep?.name ?? null };
        } else {
          const why = failedStep?.message ?? seen.message ?? 'the workflow failed';
          error = { code: 'STEP_FAILED', message: failedStep ? `step '${failedStep.name}' failed: ${why}` : why, step: failedStep?.name ?? null };
        }
      }
      const cursors = Object.fromEntries(seen.steps.filter((s) => s.cursor !== null).map((s) => [s.name, s.cursor as string]));
      const rowsLoaded = this.rowsLoaded(seen, jobTypes);
      await this.finish(run, status, seen, error, steps, { progress, engine: engineState, rowsLoaded }, status === 'success' ? cursors : {});
      return undefined;
    }
    await this.uow.run(async (r) => {
      if (steps.length > 0) await r.taskRuns.putSteps(steps);
      await r.runs.updateManaged(run.spaceId, run.id, { progress, nativeStatus: seen.nativeStatus, engine: engineState }, this.clock.now());
    });
    return this.later(this.options.followMs);
  }

  private async plan(run: Managed, pipeline: Pipeline, version: PipelineVersion): Promise<EnginePlan> {
    const { options } = run.managed;
    const steps = stepsToRun(version.spec, options.from_step);
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
    return {
      runId: run.id,
      name: workflowNameOf(run.id),
      spaceId: run.spaceId,
      pipeline: { id: pipeline.id, name: pipeline.name },
      version: { id: version.id, number: version.number },
      steps: steps.map((s, i) => ({ name: s.name, jobType: s.config.job_type, statement: statements[i], dependsOn: i === 0 ? [] : [steps[i - 1].name] })),
      variables: options.variables,
      options,
    };
  }

  /** The run's steps as task runs, as the engine tells them now (only those that changed). */
  private async stepsOf(run: Managed, seen: EngineObservation, jobTypes: Map<string, JobType>): Promise<TaskRun[]> {
    const stored = new Map((await this.taskRuns.listForRun(run.spaceId, run.id)).map((t) => [t.taskId, t]));
    const out: TaskRun[] = [];
    for (const step of seen.steps) {
      const before = stored.get(step.name);
      const after: TaskRun = {
        ...(before ?? this.taskRun(run, step.name, jobTypes.get(step.name) ?? null, step.startedAt)),
        status: step.status,
        nativeStatus: step.nativeStatus,
        startedAt: step.startedAt,
        finishedAt: step.finishedAt,
        durationSeconds: step.startedAt && step.finishedAt ? Math.max(0, (step.finishedAt.getTime() - step.startedAt.getTime()) / 1000) : null,
        rows: step.rows,
        error: step.status === 'failed' ? step.message : null,
      };
      const same =
        before &&
        before.status === after.status &&
        before.nativeStatus === after.nativeStatus &&
        before.finishedAt?.getTime() === after.finishedAt?.getTime() &&
        before.rows === after.rows;
      if (!same) out.push({ ...after, updatedAt: this.clock.now() });
    }
    return out;
  }

  private progressOf(run: Managed, seen: EngineObservation, jobTypes: Map<string, JobType>): RunProgress {
    const done = seen.steps.filter((s) => s.status === 'success');
    const current = seen.steps.filter((s) => s.status === 'running').at(-1) ?? seen.steps.at(-1);
    const jobType = current && jobTypes.get(current.name);
    return {
      ...run.managed.progress,
      stage: jobType ? STAGE_OF[jobType] : run.managed.progress.stage,
      step: current?.name ?? run.managed.progress.step,
      steps_done: done.length,
      rows_processed: done.reduce((sum, s) => sum + (s.rows ?? 0), 0),
    };
  }

  /** Ends a run: its status, its steps' last states, and on success the incremental cursors, in one unit. */
  private async finish(
    run: Managed,
    status: RunStatus,
    seen: EngineObservation | null,
    error: RunError | null,
    taskRuns: TaskRun[] = [],
    extra: { progress?: RunProgress; engine?: ManagedRun['engine']; rowsLoaded?: number | null } = {},
    cursors: Record<string, string> = {},
  ): Promise<void> {
    const now = this.clock.now();
    const finishedAt = seen?.finishedAt ?? now;
    const startedAt = run.startedAt ?? seen?.startedAt ?? now;
    const durationMs = Math.max(0, finishedAt.getTime() - startedAt.getTime());
    const progress = extra.progress ?? run.managed.progress;
    const rowsLoaded = run.managed.options.dry_run ? null : (extra.rowsLoaded ?? run.managed.rowsLoaded);
    const ended = await this.uow.run(async (r) => {
      if (taskRuns.length > 0) await r.taskRuns.putSteps(taskRuns);
      const patch = {
        status,
        nativeStatus: seen?.nativeStatus ?? run.nativeStatus,
        finishedAt,
        durationSeconds: durationMs / 1000,
        durationMs,
        progress: { ...progress },
        rowsLoaded,
        error,
        ...(extra.engine ? { engine: extra.engine } : {}),
      };
      // Finished meanwhile by another turn or a cancel: that one's end, not ours to report.
      if (!(await r.runs.updateManaged(run.spaceId, run.id, patch, now))) return false;
      if (status === 'success' && Object.keys(cursors).length > 0) await r.pipelines.saveIncrementalState(run.spaceId, run.pipelineId, cursors);
      if (!run.managed.options.dry_run) await r.pipelines.noteLastRun(run.spaceId, run.pipelineId, { status, runAt: run.runAt });
      return true;
    });
    if (!ended) return;
    this.logger.info('managed run finished', { runId: run.id, status, durationMs, ...(error ? { error: error.message } : {}) });
    this.telemetry.managedRunEnded(status, 'cluster', durationMs);
  }

  /** Rows written by load steps, when the engine reported any. */
  private rowsLoaded(seen: EngineObservation, jobTypes: Map<string, JobType>): number | null {
    const rows = seen.steps.filter((s) => jobTypes.get(s.name) === 'load' && s.rows !== null);
    return rows.length === 0 ? null : rows.reduce((sum, s) => sum + (s.rows ?? 0), 0);
  }

  private taskRun(run: Run, step: string, jobType: string | null, startedAt: Date | null): TaskRun {
    const now = this.clock.now();
    return {
      id: this.ids.id(),
      spaceId: run.spaceId,
      runId: run.id,
      externalId: step,
      taskId: step,
      mapIndex: -1,
      status: 'queued',
      nativeStatus: null,
      tryNumber: 1,
      startedAt,
      finishedAt: null,
      durationSeconds: null,
      operator: jobType,
      rows: null,
      error: null,
      plan: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  private later(ms: number): { retryAt: Date } {
    return { retryAt: new Date(this.clock.now().getTime() + ms) };
  }
}
