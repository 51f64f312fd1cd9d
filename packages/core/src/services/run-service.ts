import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { conflict, DomainError, invalid, isDomainError, notFound } from '../errors';
import type { ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository, PipelineRepository, RunRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, Hasher, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { durationOf, type ProviderRun, type Run, type RunFilter, runAtOf } from '../run/run';
import type { TaskRun } from '../task-run/task-run';
import type { SpaceAccess } from './space-access';

export interface TriggerInput {
  conf?: Record<string, unknown> | null;
  note?: string | null;
  logicalDate?: Date | null;
  idempotencyKey?: string;
}

export interface RunDetail {
  run: Run;
  taskRuns: TaskRun[];
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
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly hasher: Hasher,
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

  /** A run with its task runs. Throws not_found. */
  async get(actor: Actor, slug: string, runId: string): Promise<RunDetail> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    const run = await this.runs.get(space.id, runId);
    if (!run) throw notFound('run', runId);
    return { run, taskRuns: await this.taskRuns.listForRun(space.id, run.id) };
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
    const pipeline = await this.pipelines.get(space.id, pipelineId);
    if (!pipeline) throw notFound('pipeline', pipelineId);
    if (pipeline.removedAt) throw conflict('PIPELINE_REMOVED', `pipeline '${pipelineId}' is no longer in its orchestrator`);
    // Managed pipelines run on an engine, which does not start runs yet.
    if (pipeline.origin === 'managed' || pipeline.connectorId === null) {
      throw conflict('PIPELINE_NOT_RUNNABLE', `pipeline '${pipelineId}' is managed: its engine cannot start runs yet`);
    }
    const connector = await this.connectors.get(space.id, pipeline.connectorId);
    if (!connector) throw notFound('connector', pipeline.connectorId);

    const runId =
      input.idempotencyKey === undefined
        ? `${RUN_ID_PREFIX}${this.ids.id().replace(/-/g, '')}`
        : `${RUN_ID_PREFIX}${(await this.hasher.hash(`${pipeline.id}\n${input.idempotencyKey}`)).slice(0, 32)}`;

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
    // The run and its pipeline's last run move together; the orchestrator call stays outside.
    const stored = await this.uow.run(async (r) => {
      // A run found in the orchestrator after a lost answer was started by a request not known here.
      const kept = await r.runs.insertTriggered(run, created ? requestHash : null);
      await r.pipelines.noteLastRuns(space.id, connector.id, [{ pipelineExternalId: pipeline.externalId, status: kept.status, runAt: kept.runAt }]);
      return kept;
    });
    // Two first requests with one key at once: the one that stored second replays the first.
    if (stored.id !== run.id) await this.ensureSameRequest(space.id, stored, requestHash);
    return { run: stored, created: created && stored.id === run.id };
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

/** JSON with object keys sorted at every depth: equal values give equal text, whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
