import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import type { ManagedRuns, ManagedTriggerOptions } from '../engine/managed-runs';
import { conflict, DomainError, invalid, isDomainError, notFound } from '../errors';
import type { PipelineVersion } from '../pipeline/managed';
import type { Pipeline } from '../pipeline/pipeline';
import type { ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository, PipelineRepository, PipelineVersionRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, Hasher, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { durationOf, isFinished, type ProviderRun, type Run, type RunFilter, runAtOf } from '../run/run';
import type { TaskRun } from '../task-run/task-run';
import type { SpaceAccess } from './space-access';

/** A trigger: `conf` and `logicalDate` for synced pipelines, the managed options for managed ones. */
export interface TriggerInput extends ManagedTriggerOptions {
  conf?: Record<string, unknown> | null;
  note?: string | null;
  logicalDate?: Date | null;
  idempotencyKey?: string;
}

/** How `RunService.get` waits: see there. */
export interface RunWait {
  seconds?: number;
  changedSince?: Date;
  signal?: AbortSignal;
}

/** Longest wait of `GET …/runs/{id}?wait_seconds=`. */
export const MAX_WAIT_SECONDS = 60;
const WAIT_POLL_MS = 250;
const MANAGED_ONLY: [keyof ManagedTriggerOptions, string][] = [
  ['fullRefresh', 'full_refresh'],
  ['dryRun', 'dry_run'],
  ['variables', 'variables'],
  ['versionId', 'version_id'],
  ['fromStep', 'from_step'],
];

export interface RunDetail {
  run: Run;
  taskRuns: TaskRun[];
}

/** A run with its steps and the version it ran, as a list of runs addressed by pipeline id shows it. */
export interface RunWithVersion extends RunDetail {
  /** The version with a stable id for each of its steps (same order); null for a synced run. */
  version: { version: PipelineVersion; stepIds: string[] } | null;
}

/** Run ids Signalbox creates carry this prefix, so they are told apart in the orchestrator's UI. */
export const RUN_ID_PREFIX = 'signalbox__';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const MAX_NOTE_LENGTH = 1000;

export class RunService {
  constructor(
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly pipelines: PipelineRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly hasher: Hasher,
    /** Runs of managed pipelines; without it, triggering one answers PIPELINE_NOT_RUNNABLE. */
    private readonly managed?: ManagedRuns,
  ) {}

  /** Runs of a pipeline, newest first. Throws not_found | invalid. */
  async list(actor: Actor, slug: string, pipelineId: string, filter: RunFilter, page: PageRequest): Promise<Paged<Run>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    if (filter.startedFrom && filter.startedTo && filter.startedFrom > filter.startedTo) {
      throw invalid('started_from', 'must not be after started_to');
    }
    if (!(await this.pipelines.get(space.id, pipelineId))) throw notFound('pipeline', pipelineId);
    return this.runs.listForPipeline(space.id, pipelineId, filter, page);
  }

  /**
   * Runs of a pipeline addressed by its id alone (the space is the one of the actor's spaces that
   * holds it), newest first, each with its steps in run order and its version. Throws not_found |
   * invalid.
   */
  async listByPipelineId(actor: Actor, pipelineId: string, filter: RunFilter, page: PageRequest): Promise<Paged<RunWithVersion>> {
    const space = await this.access.resolvePipeline(actor, pipelineId, 'space:read');
    const runs = await this.list(actor, space.slug, pipelineId, filter, page);
    const versions = new Map<string, Promise<RunWithVersion['version']>>();
    const versionOf = (id: string) => {
      if (!versions.has(id)) versions.set(id, this.versionWithStepIds(space.id, pipelineId, id));
      return versions.get(id) as Promise<RunWithVersion['version']>;
    };
    const items = await Promise.all(
      runs.items.map(async (run) => {
        const version = run.managed ? await versionOf(run.managed.pipelineVersionId) : null;
        const taskRuns = await this.taskRuns.listForRun(space.id, run.id);
        return { run, taskRuns: version ? inVersionOrder(version.version, taskRuns) : taskRuns, version };
      }),
    );
    return { items, total: runs.total };
  }

  /** Steps of a version have no id of their own: each gets one derived from the version id and its name. */
  private async versionWithStepIds(spaceId: string, pipelineId: string, versionId: string): Promise<RunWithVersion['version']> {
    const version = await this.versions.get(spaceId, pipelineId, versionId);
    if (!version) return null;
    const stepIds = await Promise.all(version.spec.steps.map(async (step) => uuidOf(await this.hasher.hash(`${version.id}\nstep ${step.name}`))));
    return { version, stepIds };
  }

  /**
   * A run with its task runs. With `wait.seconds` (0–60), answers once the run has finished or the
   * time is up, whichever comes first; with `wait.changedSince` too, also as soon as the run was
   * written after that time (`updatedAt`: status, progress, a step), so a client that passes the
   * `updatedAt` it last saw follows a run's progress without polling. `wait.signal` aborts the
   * wait (the caller went away). Waiting never changes the run. Throws not_found | invalid.
   */
  async get(actor: Actor, slug: string, runId: string, wait: RunWait = {}): Promise<RunDetail> {
    const seconds = wait.seconds ?? 0;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
      throw invalid('wait_seconds', `must be an integer from 0 to ${MAX_WAIT_SECONDS}`);
    }
    const space = await this.access.resolve(actor, slug, 'space:read');
    let run = await this.runs.get(space.id, runId);
    if (!run) throw notFound('run', runId);
    const deadline = Date.now() + seconds * 1000;
    const since = wait.changedSince?.getTime() ?? Number.NEGATIVE_INFINITY;
    const changed = (r: Run) => wait.changedSince !== undefined && r.updatedAt.getTime() > since;
    while (!isFinished(run.status) && !changed(run) && Date.now() < deadline && !wait.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, deadline - Date.now())));
      run = (await this.runs.get(space.id, runId)) ?? run;
    }
    return { run, taskRuns: await this.inRunOrder(run, await this.taskRuns.listForRun(space.id, run.id)) };
  }

  /** A managed run's steps in the order its version runs them (they may start in one millisecond, or not at all). */
  private async inRunOrder(run: Run, taskRuns: TaskRun[]): Promise<TaskRun[]> {
    if (!run.managed) return taskRuns;
    const version = await this.versions.get(run.spaceId, run.pipelineId, run.managed.pipelineVersionId);
    return version ? inVersionOrder(version, taskRuns) : taskRuns;
  }

  /**
   * Stops a run: a managed run's engine cancels its running statement and starts no other step (a
   * queued one is canceled at once); a synced run is marked failed in its orchestrator. Throws
   * not_found | forbidden | conflict (RUN_FINISHED) | provider errors.
   */
  async cancel(actor: Actor, slug: string, runId: string): Promise<Run> {
    const space = await this.access.resolve(actor, slug, 'pipeline:trigger');
    const run = await this.runs.get(space.id, runId);
    if (!run) throw notFound('run', runId);
    if (isFinished(run.status)) throw conflict('RUN_FINISHED', `run '${runId}' has finished (${run.status}): there is nothing to cancel`);
    if (run.origin === 'managed') return this.managedRuns().cancel(run);
    return this.inOrchestrator(run, (provider, pipelineExternalId) => provider.cancelRun(pipelineExternalId, run.externalId));
  }

  /**
   * Runs again what failed. A managed run: a new run of the same version and options, from
   * `fromStep` or its first step that did not succeed (`created`). A synced run: its failed task
   * instances are cleared in the orchestrator, which runs them again (the same run).
   * Throws not_found | forbidden | invalid | conflict | provider errors.
   */
  async retry(actor: Actor, slug: string, runId: string, input: { fromStep?: string | null } = {}): Promise<{ run: Run; created: boolean }> {
    const space = await this.access.resolve(actor, slug, 'pipeline:trigger');
    const run = await this.runs.get(space.id, runId);
    if (!run) throw notFound('run', runId);
    if (run.origin === 'managed') {
      const managed = this.managedRuns();
      const { versionId, options } = await managed.retryOptions(run, input.fromStep ?? null);
      const pipeline = await this.livePipeline(space.id, run.pipelineId);
      const prepared = await managed.prepare(pipeline, {
        versionId,
        fullRefresh: options.full_refresh,
        dryRun: options.dry_run,
        variables: options.variables,
        fromStep: options.from_step,
      });
      const fresh = { runType: 'manual' as const, externalId: this.freshRunId(), note: run.note, triggeredBy: actor.userId };
      return managed.enqueue(pipeline, prepared, fresh, null);
    }
    if (input.fromStep !== undefined && input.fromStep !== null) throw invalid('from_step', 'is for runs of managed pipelines');
    if (!isFinished(run.status)) throw conflict('RUN_NOT_FINISHED', `run '${runId}' is ${run.status}: only a finished run can be retried`);
    return { run: await this.inOrchestrator(run, (provider, pipelineExternalId) => provider.retryRun(pipelineExternalId, run.externalId)), created: false };
  }

  /**
   * Queues a run of a managed pipeline on its schedule (no actor): the scheduler calls it once per
   * due tick, keyed by the tick so that a repeated call finds the same run.
   */
  async triggerScheduled(pipeline: Pipeline, tick: Date): Promise<Run> {
    const managed = this.managedRuns();
    const prepared = await managed.prepare(pipeline, {});
    const externalId = `${RUN_ID_PREFIX}${(await this.hasher.hash(`${pipeline.id}\nscheduled ${tick.toISOString()}`)).slice(0, 32)}`;
    return (await managed.enqueue(pipeline, prepared, { runType: 'scheduled', externalId, note: null, triggeredBy: null }, null)).run;
  }

  /**
   * Creates a run in the orchestrator and stores it at once. With an idempotency key the run id is
   * derived from (pipeline, key), so a retry returns the same run and never starts a second one.
   * The stored run keeps a fingerprint of the request (conf, note, logical date): a retry whose
   * fingerprint differs is refused, as the key then names two different requests.
   * Throws not_found | forbidden | invalid | conflict (PIPELINE_REMOVED, PIPELINE_NOT_RUNNABLE) |
   * unprocessable (IDEMPOTENCY_KEY_REUSED) | provider errors.
   */
  async trigger(actor: Actor, slug: string, pipelineId: string, input: TriggerInput): Promise<{ run: Run; created: boolean }> {
    const space = await this.access.resolve(actor, slug, 'pipeline:trigger');
    if (input.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
      throw invalid('idempotencyKey', 'must be 1-255 visible ASCII characters');
    }
    if (input.note && input.note.length > MAX_NOTE_LENGTH) throw invalid('note', `must be at most ${MAX_NOTE_LENGTH} characters`);
    const pipeline = await this.livePipeline(space.id, pipelineId);
    if (pipeline.origin === 'managed') return this.triggerManaged(actor, pipeline, input);
    for (const [key, field] of MANAGED_ONLY) {
      if (input[key] !== undefined) throw invalid(field, 'is for managed pipelines: a synced pipeline takes conf and logical_date');
    }
    if (pipeline.connectorId === null) throw conflict('PIPELINE_NOT_RUNNABLE', `pipeline '${pipelineId}' has no connector to run it`);
    const connector = await this.connectors.get(space.id, pipeline.connectorId);
    if (!connector) throw notFound('connector', pipeline.connectorId);

    const runId = await this.runIdFor(pipeline, input.idempotencyKey);

    const requestHash = await this.hasher.hash(
      canonicalJson({ conf: input.conf ?? null, note: input.note ?? null, logical_date: input.logicalDate?.toISOString() ?? null }),
    );
    if (input.idempotencyKey !== undefined) {
      const stored = await this.runs.getByExternalId(space.id, connector.id, pipeline.externalId, runId);
      if (stored) {
        await this.ensureSameRequest(space.id, stored, requestHash);
        return { run: stored, created: false };
      }
    }

    const provider = this.registry.forConnector(connector);
    const request = { runId, conf: input.conf ?? null, note: input.note ?? null, logicalDate: input.logicalDate ?? null };
    let providerRun: ProviderRun;
    let created = true;
    try {
      providerRun = await provider.trigger(pipeline.externalId, request);
    } catch (err) {
      // A retry after a lost response: the orchestrator has the run already, so fetch it.
      if (input.idempotencyKey === undefined || !isDomainError(err) || err.code !== 'RUN_EXISTS') throw err;
      providerRun = await provider.getRun(pipeline.externalId, runId);
      created = false;
    }

    const now = this.clock.now();
    const run: Run = {
      id: this.ids.id(),
      spaceId: space.id,
      connectorId: connector.id,
      pipelineId: pipeline.id,
      origin: 'synced',
      managed: null,
      externalId: providerRun.externalId,
      status: providerRun.status,
      nativeStatus: providerRun.nativeStatus,
      runType: providerRun.runType,
      logicalDate: providerRun.logicalDate,
      queuedAt: providerRun.queuedAt,
      startedAt: providerRun.startedAt,
      finishedAt: providerRun.finishedAt,
      durationSeconds: durationOf(providerRun),
      conf: providerRun.conf ?? request.conf,
      note: providerRun.note ?? request.note,
      triggeredBy: actor.userId,
      runAt: runAtOf(providerRun, now),
      createdAt: now,
      updatedAt: now,
    };
    // The run and its pipeline's last run move together, in one write; the orchestrator call
    // stays outside. A run found in the orchestrator after a lost answer was started by a request
    // not known here.
    const stored = await this.runs.insertTriggered(run, created ? requestHash : null, { noteLastRun: true });
    // Two first requests with one key at once: the one that stored second replays the first.
    if (stored.id !== run.id) await this.ensureSameRequest(space.id, stored, requestHash);
    return { run: stored, created: created && stored.id === run.id };
  }

  /** A managed pipeline's run: queued for its engine; the idempotency key as for synced runs. */
  private async triggerManaged(actor: Actor, pipeline: Pipeline, input: TriggerInput): Promise<{ run: Run; created: boolean }> {
    const managed = this.managedRuns();
    if (input.conf !== undefined && input.conf !== null) throw invalid('conf', 'is for synced pipelines: a managed pipeline takes variables');
    if (input.logicalDate !== undefined && input.logicalDate !== null) throw invalid('logical_date', 'is for synced pipelines');
    const prepared = await managed.prepare(pipeline, input);
    // The request as sent: a replay after a new version (or new defaults) is still the same request.
    const requestHash = await this.hasher.hash(
      canonicalJson({
        note: input.note ?? null,
        version_id: input.versionId ?? null,
        full_refresh: input.fullRefresh ?? null,
        dry_run: input.dryRun ?? null,
        variables: input.variables ?? null,
        from_step: input.fromStep ?? null,
      }),
    );
    const fresh = {
      runType: 'manual' as const,
      externalId: await this.runIdFor(pipeline, input.idempotencyKey),
      note: input.note ?? null,
      triggeredBy: actor.userId,
    };
    const { run, created } = await managed.enqueue(pipeline, prepared, fresh, requestHash);
    // A replay of the key: the first request must have been the same one.
    if (!created) await this.ensureSameRequest(pipeline.spaceId, run, requestHash);
    return { run, created };
  }

  /** Run ids: fresh, or derived from (pipeline, idempotency key) so that a retry names the same run. */
  private async runIdFor(pipeline: Pipeline, idempotencyKey: string | undefined): Promise<string> {
    if (idempotencyKey === undefined) return this.freshRunId();
    return `${RUN_ID_PREFIX}${(await this.hasher.hash(`${pipeline.id}\n${idempotencyKey}`)).slice(0, 32)}`;
  }

  private freshRunId(): string {
    return `${RUN_ID_PREFIX}${this.ids.id().replace(/-/g, '')}`;
  }

  private async livePipeline(spaceId: string, pipelineId: string): Promise<Pipeline> {
    const pipeline = await this.pipelines.get(spaceId, pipelineId);
    if (!pipeline) throw notFound('pipeline', pipelineId);
    if (pipeline.removedAt) throw conflict('PIPELINE_REMOVED', `pipeline '${pipelineId}' is no longer in its orchestrator`);
    return pipeline;
  }

  private managedRuns(): ManagedRuns {
    if (!this.managed) throw conflict('PIPELINE_NOT_RUNNABLE', 'this service has no engine: managed pipelines cannot run');
    return this.managed;
  }

  /** A synced run changed in its orchestrator, stored as the orchestrator then tells it. */
  private async inOrchestrator(
    run: Run,
    change: (provider: ReturnType<ProviderRegistry['forConnector']>, pipelineExternalId: string) => Promise<ProviderRun>,
  ): Promise<Run> {
    const pipeline = await this.pipelines.get(run.spaceId, run.pipelineId);
    if (!pipeline || run.connectorId === null) throw notFound('pipeline', run.pipelineId);
    const connector = await this.connectors.get(run.spaceId, run.connectorId);
    if (!connector) throw notFound('connector', run.connectorId);
    const told = await change(this.registry.forConnector(connector), pipeline.externalId);
    const now = this.clock.now();
    await this.uow.run(async (r) => {
      await r.runs.upsertFromProvider(connector, [told], now);
      await r.pipelines.noteLastRuns(run.spaceId, connector.id, [{ pipelineExternalId: pipeline.externalId, status: told.status, runAt: runAtOf(told, now) }]);
    });
    return (await this.runs.get(run.spaceId, run.id)) ?? run;
  }

  /** A run stored without a fingerprint (synced, or from before fingerprints) replays as it is. */
  private async ensureSameRequest(spaceId: string, stored: Run, requestHash: string): Promise<void> {
    const first = await this.runs.requestHash(spaceId, stored.id);
    if (first !== null && first !== requestHash) {
      const reason = 'was used before with another conf, note or logical_date';
      throw new DomainError('unprocessable', 'IDEMPOTENCY_KEY_REUSED', `idempotencyKey: ${reason}`, { details: [{ field: 'idempotencyKey', reason }] });
    }
  }
}

function inVersionOrder(version: PipelineVersion, taskRuns: TaskRun[]): TaskRun[] {
  const order = new Map(version.spec.steps.map((s, i) => [s.name, i]));
  return [...taskRuns].sort((a, b) => (order.get(a.taskId) ?? order.size) - (order.get(b.taskId) ?? order.size));
}

/** A name-based UUID (version 8, RFC 9562) from the hex digits of a hash. */
function uuidOf(hex: string): string {
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON with object keys sorted at every depth: equal values give equal text, whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
