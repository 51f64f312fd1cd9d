import type { Id } from '../common';
import type { Connector, ConnectorType } from '../connector/connector';
import type { VariableValue } from '../definition/spec';
import { EMBEDDED_ENGINE } from '../definition/spec';
import { conflict, DomainError, invalid, notFound } from '../errors';
import type { PipelineVersion } from '../pipeline/managed';
import type { Pipeline } from '../pipeline/pipeline';
import type { ConnectorRepository, PipelineVersionRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { isFinished, type ManagedRun, type Run, type RunOptions, type RunType } from '../run/run';
import { CLUSTER_RUN_JOB } from './cluster-runner';
import { stepsToRun } from './compile';
import { MANAGED_RUN_JOB, type ManagedRunJobPayload, managedRunJobKey } from './embedded-engine';

/** What a trigger of a managed pipeline may ask for (DESIGN §8). */
export interface ManagedTriggerOptions {
  fullRefresh?: boolean;
  dryRun?: boolean;
  /** Values for the version's variables; an unknown name is refused. */
  variables?: Record<string, unknown>;
  /** A version of the pipeline to run instead of the current one. */
  versionId?: Id;
  fromStep?: string | null;
}

/** A run's version and options, checked, and the cluster engine's connector it runs on (null: the embedded engine). */
export interface PreparedRun {
  version: PipelineVersion;
  options: RunOptions;
  engine: Connector | null;
}

/** A managed run about to be stored: what the trigger decided, before the run id and request hash. */
export interface NewManagedRun {
  runType: RunType;
  externalId: string;
  note: string | null;
  triggeredBy: Id | null;
}

export interface ManagedRunSettings {
  /**
   * Whether the space's embedded warehouse may run steps. False when Signalbox itself runs on
   * PostgreSQL, where any process's worker may take a run and a PGlite folder belongs to one.
   */
  embeddedWarehouse: boolean;
  /** The connector types whose cluster engine is installed (`argo`): a version may name such a connector as its engine. */
  clusterEngines?: readonly ConnectorType[];
}

/**
 * The managed side of runs: checks a trigger's options against the version it runs, and stores the
 * queued run with its job in one unit; cancel and retry of managed runs.
 */
export class ManagedRuns {
  constructor(
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly settings: ManagedRunSettings,
  ) {}

  /**
   * The options of a run of `pipeline`, defaults filled in, and the version it runs. Throws invalid
   * (`version_id`, `variables.<name>`, `from_step`, `warehouse` with code WAREHOUSE_REQUIRED) |
   * conflict ENGINE_UNAVAILABLE.
   */
  async prepare(pipeline: Pipeline, input: ManagedTriggerOptions): Promise<PreparedRun> {
    const managed = pipeline.managed;
    if (!managed) throw new Error(`pipeline '${pipeline.id}' is not managed`);
    const versionId = input.versionId ?? managed.currentVersion.id;
    const version = await this.versions.get(pipeline.spaceId, pipeline.id, versionId);
    if (!version) throw invalid('version_id', `is not a version of pipeline '${pipeline.id}'`);
    const spec = version.spec;
    // A cluster engine reads its warehouse from its own connector's settings; the embedded one needs one here.
    const engine = spec.engine === EMBEDDED_ENGINE ? null : await this.engineConnector(pipeline.spaceId, spec.engine);
    if (!engine) await this.checkWarehouse(pipeline.spaceId, spec.warehouse);

    const variables: Record<string, VariableValue> = { ...spec.variables };
    for (const [name, value] of Object.entries(input.variables ?? {})) {
      if (!Object.hasOwn(spec.variables, name)) throw invalid(`variables.${name}`, `is not a variable of version ${version.number}`);
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value))
        throw invalid(`variables.${name}`, 'must be a string, number, boolean or null');
      variables[name] = value as VariableValue;
    }
    const fromStep = input.fromStep ?? null;
    if (fromStep !== null && !spec.steps.some((s) => s.name === fromStep)) throw invalid('from_step', `is not a step of version ${version.number}`);
    return { version, options: { full_refresh: input.fullRefresh ?? false, dry_run: input.dryRun ?? false, variables, from_step: fromStep }, engine };
  }

  /**
   * Stores a queued run and the job that runs it, in one unit. When the external id is taken (an
   * idempotent retry), the stored run is kept and answered, and nothing is queued.
   */
  async enqueue(pipeline: Pipeline, prepared: PreparedRun, fresh: NewManagedRun, requestHash: string | null): Promise<{ run: Run; created: boolean }> {
    const { version, options, engine } = prepared;
    const now = this.clock.now();
    const managed: ManagedRun = {
      pipelineVersionId: version.id,
      options,
      progress: { stage: 'queued', step: null, rows_processed: 0, steps_done: 0, steps_total: stepsToRun(version.spec, options.from_step).length },
      rowsLoaded: null,
      durationMs: null,
      engine: { type: engine?.type ?? EMBEDDED_ENGINE, manifest: null, metadata: null },
      error: null,
      cancelRequestedAt: null,
    };
    const run: Run = {
      id: this.ids.id(),
      spaceId: pipeline.spaceId,
      connectorId: engine?.id ?? null,
      pipelineId: pipeline.id,
      origin: 'managed',
      managed,
      externalId: fresh.externalId,
      status: 'queued',
      nativeStatus: null,
      runType: fresh.runType,
      logicalDate: null,
      queuedAt: now,
      startedAt: null,
      finishedAt: null,
      durationSeconds: null,
      conf: null,
      note: fresh.note,
      triggeredBy: fresh.triggeredBy,
      runAt: now,
      createdAt: now,
      updatedAt: now,
    };
    return this.uow.run(async (r) => {
      // A dry run changes nothing, the pipeline's status included.
      const kept = await r.runs.insertTriggered(run, requestHash, { noteLastRun: !options.dry_run });
      if (kept.id !== run.id) return { run: kept, created: false };
      const payload: ManagedRunJobPayload = { spaceId: run.spaceId, runId: run.id };
      const name = engine ? CLUSTER_RUN_JOB : MANAGED_RUN_JOB;
      await r.jobs.enqueue({ name, key: managedRunJobKey(run.id), payload: { ...payload } }, this.ids.id(), now);
      return { run: kept, created: true };
    });
  }

  /** Asks a managed run to stop: a queued one is canceled at once, a running one by its engine soon after. */
  async cancel(run: Run): Promise<Run> {
    const after = await this.runs.requestCancel(run.spaceId, run.id, this.clock.now());
    if (!after) throw notFound('run', run.id);
    return after;
  }

  /**
   * The options of a new run that retries `run`: the same version and options, from `fromStep`, or
   * else from its first step that did not succeed (earlier steps' outputs are reused). Throws
   * conflict RUN_NOT_FINISHED | RUN_SUCCEEDED (nothing failed to retry from) | invalid from_step.
   */
  async retryOptions(run: Run, fromStep: string | null): Promise<{ versionId: Id; options: RunOptions }> {
    const managed = run.managed;
    if (!managed) throw new Error(`run '${run.id}' is not managed`);
    if (!isFinished(run.status)) throw conflict('RUN_NOT_FINISHED', `run '${run.id}' is ${run.status}: cancel it first, or wait for it`);
    const version = await this.versions.get(run.spaceId, run.pipelineId, managed.pipelineVersionId);
    if (!version) throw notFound('pipeline_version', managed.pipelineVersionId);
    let start = fromStep;
    if (start === null) {
      const succeeded = new Set((await this.taskRuns.listForRun(run.spaceId, run.id)).filter((t) => t.status === 'success').map((t) => t.taskId));
      start = stepsToRun(version.spec, managed.options.from_step).find((s) => !succeeded.has(s.name))?.name ?? null;
      if (start === null) throw conflict('RUN_SUCCEEDED', `run '${run.id}' has no step that did not succeed: give from_step to run again from a step`);
    } else if (!version.spec.steps.some((s) => s.name === start)) {
      throw invalid('from_step', `is not a step of version ${version.number}`);
    }
    return { versionId: version.id, options: { ...managed.options, from_step: start } };
  }

  /** The connector a version names as its engine; conflict ENGINE_UNAVAILABLE when the space has no such cluster engine. */
  private async engineConnector(spaceId: Id, name: string): Promise<Connector> {
    const connector = await this.connectors.getByName(spaceId, name);
    if (!connector || !(this.settings.clusterEngines ?? []).includes(connector.type)) {
      throw conflict('ENGINE_UNAVAILABLE', `engine '${name}' names no connector of the space that can run pipelines (an \`argo\` connector)`);
    }
    return connector;
  }

  private async checkWarehouse(spaceId: Id, name: string | null): Promise<void> {
    if (name === null) {
      if (this.settings.embeddedWarehouse) return;
      throw new DomainError(
        'invalid',
        'WAREHOUSE_REQUIRED',
        'warehouse: this Signalbox runs on PostgreSQL, where the embedded warehouse is not available: name a `warehouse` connector',
        { details: [{ field: 'warehouse', reason: 'is required: name a `warehouse` connector of the space' }] },
      );
    }
    const connector = await this.connectors.getByName(spaceId, name);
    if (connector?.type !== 'warehouse') throw invalid('warehouse', `names no \`warehouse\` connector of the space ('${name}')`);
  }
}
