import type { ApiKey, User } from '../../access/access';
import { DEFAULT_PER_PAGE } from '../../common';
import { type Connector, newConnector } from '../../connector/connector';
import type { Pipeline, ProviderPipeline } from '../../pipeline/pipeline';
import type { PipelineListQuery, Repositories } from '../../ports/repositories';
import type { IdGenerator } from '../../ports/system';
import type { UnitOfWork } from '../../ports/unit-of-work';
import type { ManagedRun, ProviderRun, Run, RunOptions } from '../../run/run';
import type { Space } from '../../space/space';
import type { ProviderTaskRun, TaskRun } from '../../task-run/task-run';

/**
 * What a contract suite needs from an implementation: empty repositories, the unit of work over
 * the same store, and the ids they use.
 */
export interface ContractSubject {
  repos: Repositories;
  uow: UnitOfWork;
  ids: IdGenerator;
  close?: () => Promise<void>;
}

/** Called before each test; must give repositories with no data in them. */
export type MakeRepositories = () => Promise<ContractSubject>;

/** Declares `beforeEach`/`afterEach` that make a fresh subject, and returns its getter. */
export function useSubject(make: MakeRepositories): () => ContractSubject {
  let subject: ContractSubject | undefined;
  beforeEach(async () => {
    subject = await make();
  });
  afterEach(async () => {
    await subject?.close?.();
    subject = undefined;
  });
  return () => {
    if (!subject) throw new Error('no subject: use it inside a test');
    return subject;
  };
}

export const T0 = new Date('2026-01-15T12:00:00.000Z');
/** T0 plus `minutes`. */
export const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
export const page = (p = 1, perPage = DEFAULT_PER_PAGE) => ({ page: p, perPage });

export async function aSpace(s: ContractSubject, slug?: string): Promise<Space> {
  const id = s.ids.id();
  const space: Space = { id, slug: slug ?? `space-${id.slice(-6)}`, name: `Space ${slug ?? id}`, createdAt: T0 };
  await s.repos.spaces.create(space);
  return space;
}

export async function aUser(s: ContractSubject, email?: string): Promise<User> {
  const id = s.ids.id();
  const user: User = { id, email: email ?? `u${id.slice(-6)}@example.com`, name: 'A User', instanceAdmin: false, createdAt: T0 };
  await s.repos.users.create(user);
  return user;
}

export function anApiKey(s: ContractSubject, userId: string, createdAt = T0, hash?: string): ApiKey {
  const id = s.ids.id();
  return { id, userId, name: 'key', prefix: 'sbx_abcdefgh', hash: hash ?? `hash-${id}`, createdAt, expiresAt: null, revokedAt: null };
}

export async function aConnector(s: ContractSubject, spaceId: string, name?: string, config: Record<string, unknown> = {}): Promise<Connector> {
  const id = s.ids.id();
  const connector = newConnector({ id, spaceId, name: name ?? `connector ${id.slice(-6)}`, type: 'mock', config: { pipelines: 3, ...config } }, T0);
  await s.repos.connectors.create(connector);
  return connector;
}

export const providerPipeline = (externalId: string, fields: Partial<ProviderPipeline> = {}): ProviderPipeline => ({
  externalId,
  name: externalId,
  description: null,
  owner: null,
  tags: [],
  schedule: null,
  paused: false,
  nextRunAt: null,
  ...fields,
});

export const providerRun = (pipelineExternalId: string, externalId: string, fields: Partial<ProviderRun> = {}): ProviderRun => ({
  pipelineExternalId,
  externalId,
  status: 'success',
  nativeStatus: 'success',
  runType: 'scheduled',
  logicalDate: null,
  queuedAt: null,
  startedAt: null,
  finishedAt: null,
  durationSeconds: null,
  conf: null,
  note: null,
  updatedAt: null,
  ...fields,
});

export const providerTaskRun = (pipelineExternalId: string, runExternalId: string, taskId: string, fields: Partial<ProviderTaskRun> = {}): ProviderTaskRun => ({
  pipelineExternalId,
  runExternalId,
  taskId,
  mapIndex: -1,
  status: 'success',
  nativeStatus: 'success',
  tryNumber: 1,
  startedAt: null,
  finishedAt: null,
  durationSeconds: null,
  operator: null,
  updatedAt: null,
  ...fields,
});

/** A list query with everything defaulted: all pipelines, first page, a 7-day window ending at T0. */
export function listQuery(viewerId: string, over: Partial<PipelineListQuery> = {}): PipelineListQuery {
  return { filter: {}, page: page(), viewerId, since: at(-7 * 24 * 60), days: 7, ...over };
}

/** Upserts the pipelines through sync and returns them by external id. */
export async function somePipelines(s: ContractSubject, connector: Connector, pipelines: ProviderPipeline[], syncId = s.ids.id()) {
  await s.repos.pipelines.upsertFromProvider(connector, pipelines, syncId, T0);
  const all = await s.repos.pipelines.list(connector.spaceId, listQuery(s.ids.id(), { filter: { includeRemoved: true }, page: page(1, 500) }));
  const byExt = new Map(all.items.filter((v) => v.pipeline.connectorId === connector.id).map((v) => [v.pipeline.externalId, v.pipeline]));
  return (ext: string) => {
    const p = byExt.get(ext);
    if (!p) throw new Error(`no pipeline ${ext}`);
    return p;
  };
}

/** A space with one connector: the setting most tests start from. */
export async function aSetting(s: ContractSubject) {
  const space = await aSpace(s);
  const connector = await aConnector(s, space.id);
  const viewer = await aUser(s);
  return { space, connector, viewer };
}

export const RUN_OPTIONS: RunOptions = { full_refresh: false, dry_run: false, variables: {}, from_step: null };

/** A queued run Signalbox triggered (not stored), at T0 on the pipeline's connector; synced unless `fields` say otherwise. */
export function aTriggeredRun(s: Pick<ContractSubject, 'ids'>, pipeline: Pick<Pipeline, 'id' | 'spaceId' | 'connectorId'>, fields: Partial<Run> = {}): Run {
  const id = fields.id ?? s.ids.id();
  return {
    id,
    spaceId: pipeline.spaceId,
    connectorId: pipeline.connectorId,
    pipelineId: pipeline.id,
    origin: 'synced',
    managed: null,
    externalId: `signalbox__${id.replace(/-/g, '')}`,
    status: 'queued',
    nativeStatus: null,
    runType: 'manual',
    logicalDate: null,
    queuedAt: null,
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
    conf: null,
    note: null,
    triggeredBy: null,
    runAt: T0,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  };
}

/** A managed run's step as its engine reports it (not stored): running since `at(1)`, unless `fields` say otherwise. */
export const aStep = (s: Pick<ContractSubject, 'ids'>, run: Pick<Run, 'id' | 'spaceId'>, taskId: string, fields: Partial<TaskRun> = {}): TaskRun => ({
  id: s.ids.id(),
  spaceId: run.spaceId,
  runId: run.id,
  externalId: taskId,
  taskId,
  mapIndex: -1,
  status: 'running',
  nativeStatus: null,
  tryNumber: 1,
  startedAt: at(1),
  finishedAt: null,
  durationSeconds: null,
  operator: 'sql',
  rows: null,
  error: null,
  plan: null,
  createdAt: at(1),
  updatedAt: at(1),
  ...fields,
});

/**
 * A queued run of a managed pipeline's current version (not stored), triggered at T0 on its
 * engine: the pipeline's connector, none for `embedded`.
 */
export function aManagedRun(s: ContractSubject, pipeline: Pipeline, fields: Partial<Run> = {}, managed: Partial<ManagedRun> = {}): Run {
  if (!pipeline.managed) throw new Error(`pipeline ${pipeline.id} is not managed`);
  const id = fields.id ?? s.ids.id();
  return {
    ...aTriggeredRun(s, pipeline, { id, origin: 'managed', externalId: `run-${id}`, queuedAt: T0, ...fields }),
    managed: {
      pipelineVersionId: pipeline.managed.currentVersion.id,
      options: RUN_OPTIONS,
      progress: { stage: 'queued', step: null, rows_processed: 0, steps_done: 0, steps_total: 1 },
      rowsLoaded: null,
      durationMs: null,
      engine: { type: pipeline.managed.engine, manifest: null, metadata: null },
      error: null,
      cancelRequestedAt: null,
      ...managed,
    },
  };
}
