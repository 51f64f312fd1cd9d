import type { Actor, ApiKey, User } from '../access/access';
import type { JobQueue } from '../background/job-queue';
import type { Comment, CommentTarget } from '../comment/comment';
import type { Id, Paged, PageRequest } from '../common';
import type { Connector } from '../connector/connector';
import type { PipelineVersion } from '../pipeline/managed';
import type { Pipeline, PipelineFilter, PipelineView, ProviderPipeline } from '../pipeline/pipeline';
import type { PipelineProjection, RenderedPage } from '../pipeline/projection';
import type { ManagedRunPatch, ProviderRun, Run, RunFilter, RunStatus } from '../run/run';
import type { Membership, Role, Space, Team } from '../space/space';
import type { SyncRecord } from '../sync/sync';
import type { ProviderTaskRun, TaskRun } from '../task-run/task-run';

/*
 * Conventions for every repository:
 * - `get…` resolves `undefined` when absent. Every read and write of space data takes the space id
 *   and matches it in the query itself: an id of another space is absent.
 * - `create` throws DomainError kind `conflict` when a unique key is taken; `update` and `delete`
 *   resolve false when the row is absent (in that space).
 * - Lists are sorted deterministically and paged with `PageRequest`.
 */

/** A space read by its slug with a user's role in it (null when not a member) and its data version (`PipelineRepository.dataVersion`). */
export interface SpaceWithRole {
  space: Space;
  role: Role | null;
  dataVersion: string;
}

export interface SpaceRepository {
  get(id: Id): Promise<Space | undefined>;
  getBySlug(slug: string): Promise<Space | undefined>;
  /** The space of that slug with the user's role in it and the space's data version, in one read. */
  getBySlugWithRole(slug: string, userId: Id): Promise<SpaceWithRole | undefined>;
  /**
   * What `getBySlugWithRole` last answered in this process for that slug and user, with no read,
   * while the adapter has heard of no change to the space since (its data version, its row, a
   * membership), nor of any write of this process that could change it, and for a short time at
   * most (ADR 0024); undefined otherwise. It may lag a write of another process by the time that
   * write's notice takes to come, so only an answer that tells a caller that what it already
   * holds is still current (a 304) may rest on it. Optional: an adapter that cannot hear of
   * changes keeps nothing.
   */
  keptBySlugWithRole?(slug: string, userId: Id): SpaceWithRole | undefined;
  /** Spaces the user is a member of, or all spaces when `all` (instance admins); sorted by slug. */
  listVisible(userId: Id, all: boolean, page: PageRequest): Promise<Paged<Space>>;
  /**
   * The space holding a pipeline, among the spaces the user is a member of (all spaces when `all`):
   * one query bounded by the caller's spaces. Undefined when the pipeline is absent or elsewhere.
   */
  getVisibleByPipeline(pipelineId: Id, userId: Id, all: boolean): Promise<Space | undefined>;
  /** Throws conflict `SPACE_EXISTS` when the slug is taken. */
  create(space: Space): Promise<void>;
}

export interface UserRepository {
  get(id: Id): Promise<User | undefined>;
  getByEmail(email: string): Promise<User | undefined>;
  /** Throws conflict `USER_EXISTS` when the email is taken. */
  create(user: User): Promise<void>;
}

export interface ApiKeyRepository {
  get(userId: Id, id: Id): Promise<ApiKey | undefined>;
  getByHash(hash: string): Promise<ApiKey | undefined>;
  /** The key of that hash with its user, in one read. */
  getWithUserByHash(hash: string): Promise<{ key: ApiKey; user: User } | undefined>;
  /** Keys of a user, newest first, revoked ones included. */
  listForUser(userId: Id): Promise<ApiKey[]>;
  create(key: ApiKey): Promise<void>;
  /** Sets revokedAt; false when absent. Idempotent: revoking a revoked key keeps the first time. */
  revoke(userId: Id, id: Id, at: Date): Promise<boolean>;
}

export interface MembershipRepository {
  get(spaceId: Id, userId: Id): Promise<Membership | undefined>;
  /** Members with their users, sorted by email. */
  list(spaceId: Id, page: PageRequest): Promise<Paged<Membership & { user: User }>>;
  /** Inserts or changes the role (idempotent). */
  put(membership: Membership): Promise<void>;
  delete(spaceId: Id, userId: Id): Promise<boolean>;
  /**
   * Number of admins of the space, to keep at least one. With `lock`, inside a unit of work, the
   * space's admin memberships are also locked until the unit ends: a concurrent unit that locks
   * them waits, then counts what the first one committed, so two units that each demote one of the
   * last two admins cannot both see two. Outside a unit of work the lock ends with the statement.
   */
  countAdmins(spaceId: Id, opts?: { lock?: boolean }): Promise<number>;
}

export interface TeamRepository {
  get(spaceId: Id, id: Id): Promise<Team | undefined>;
  /** Sorted by name. */
  list(spaceId: Id, page: PageRequest): Promise<Paged<Team>>;
  /** Throws conflict `TEAM_EXISTS` when the name is taken in the space (case-insensitive). */
  create(team: Team): Promise<void>;
  /** Throws conflict `TEAM_EXISTS` as create. */
  rename(spaceId: Id, id: Id, name: string): Promise<boolean>;
  /** Deleting a team clears it from the pipelines it owned. */
  delete(spaceId: Id, id: Id): Promise<boolean>;
}

export interface ConnectorSyncOutcome {
  at: Date;
  status: 'succeeded' | 'failed';
  error: string | null;
  cursor?: string;
  /** The schedule after this outcome: the next sync time and the failures in a row. */
  schedule?: { nextSyncAt: Date | null; failures: number };
}

export interface ConnectorRepository {
  /**
   * With its secrets in clear: for the provider registry, never for the wire. `forUpdate` locks the
   * row until the unit of work it runs in ends (a read-modify-write that a sync's or the scheduler's
   * write must not interleave with).
   */
  get(spaceId: Id, id: Id, opts?: { forUpdate?: boolean }): Promise<Connector | undefined>;
  /** Sorted by name. */
  list(spaceId: Id, page: PageRequest): Promise<Paged<Connector>>;
  /** Throws conflict `CONNECTOR_EXISTS` when the name is taken in the space. */
  create(connector: Connector): Promise<void>;
  /** Replaces name, config, cursor, sync interval, next sync time and updatedAt. Throws conflict as create. */
  update(connector: Connector): Promise<boolean>;
  /** Records the outcome of a sync. The cursor only moves when given, and the schedule only when given. */
  recordSync(spaceId: Id, id: Id, outcome: ConnectorSyncOutcome): Promise<void>;
  /** A connector by its name in the space (with its secrets in clear, as `get`). */
  getByName(spaceId: Id, name: string): Promise<Connector | undefined>;
  /** Connectors of every space whose scheduled sync is due (`nextSyncAt <= now`), most overdue first. */
  dueForSync(now: Date, limit: number): Promise<Connector[]>;
  /**
   * Moves a due connector's `nextSyncAt` from `expected` to `next` if it still is `expected`: of
   * several processes that saw it due, exactly one gets true and starts the sync.
   */
  claimScheduledSync(spaceId: Id, id: Id, expected: Date, next: Date): Promise<boolean>;
  /** Deletes the connector and everything synced from it (pipelines, runs, task runs, comments, syncs). */
  delete(spaceId: Id, id: Id): Promise<boolean>;
}

export interface PipelineListQuery {
  filter: PipelineFilter;
  page: PageRequest;
  /** The reader: for `watched` and `watchedOnly`. */
  viewerId: Id;
  /** Summary window start. */
  since: Date;
  days: number;
}

export interface PipelineRepository {
  get(spaceId: Id, id: Id): Promise<Pipeline | undefined>;
  /** The space's managed pipeline of that name (synced pipelines of the name are not it). */
  getManagedByName(spaceId: Id, name: string): Promise<Pipeline | undefined>;
  /** One pipeline as a reader sees it. */
  view(spaceId: Id, id: Id, viewerId: Id, since: Date, days: number): Promise<PipelineView | undefined>;
  /**
   * A filtered page sorted by name then id, each with its summary, in a fixed number of queries
   * whatever the page size. Removed pipelines are left out unless `includeRemoved`.
   */
  list(spaceId: Id, query: PipelineListQuery): Promise<Paged<PipelineView>>;
  /**
   * The same page as `list`, rendered as JSON text by the projection: each item exactly what
   * `project(projection, view)` gives for it (the contract checks so). A store that builds the
   * text itself spares its caller reading and writing every row.
   */
  listRendered(spaceId: Id, query: PipelineListQuery, projection: PipelineProjection): Promise<RenderedPage>;
  /**
   * A token that changes with every write to what the space's pipeline lists and details show
   * (its pipelines, their runs and versions, watches), and only then. Cheap: one small read.
   */
  dataVersion(spaceId: Id): Promise<string>;
  /**
   * Inserts or updates provider fields keyed by (connector, external id); never touches team,
   * criticality or watchers. Marks each pipeline as seen by sync `syncId` and clears `removedAt`.
   * Idempotent and safe to run concurrently.
   */
  upsertFromProvider(connector: Connector, pipelines: ProviderPipeline[], syncId: Id, at: Date): Promise<void>;
  /** Sets `removedAt` on the connector's live pipelines that sync `syncId` did not see; returns how many. */
  markRemoved(spaceId: Id, connectorId: Id, syncId: Id, at: Date): Promise<number>;
  /**
   * Moves each pipeline's last run to the given one when it is at least as recent as the stored
   * one (a newer status of the same run replaces it).
   */
  noteLastRuns(spaceId: Id, connectorId: Id, runs: { pipelineExternalId: string; status: Run['status']; runAt: Date }[]): Promise<void>;
  setTeam(spaceId: Id, id: Id, teamId: Id | null, at: Date): Promise<boolean>;
  setCriticality(spaceId: Id, id: Id, criticality: Pipeline['criticality'], at: Date): Promise<boolean>;
  /**
   * Inserts a managed pipeline (`origin` managed, `managed` set; its current version is stored
   * with `PipelineVersionRepository.create` in the same unit of work). Throws conflict
   * `PIPELINE_EXISTS` when a managed pipeline of the space has its name.
   */
  createManaged(pipeline: Pipeline): Promise<void>;
  /**
   * Replaces a managed pipeline's definition fields (name, external id, description, owner, tags,
   * schedule, next run time, `managed`) and `updatedAt`, only while its current version number is
   * still `expectedNumber`; checked in the write itself, so of concurrent updates from the same
   * number exactly one gets true. False when absent, synced, or moved on. Throws conflict
   * `PIPELINE_EXISTS` as create. Never touches paused, team, criticality or last run.
   */
  updateManaged(pipeline: Pipeline, expectedNumber: number): Promise<boolean>;
  /**
   * Deletes a managed pipeline with its versions, runs, task runs, comments and watches. False
   * (and nothing deleted) when absent or synced.
   */
  deleteManaged(spaceId: Id, id: Id): Promise<boolean>;
  /**
   * Moves a pipeline's last run to the given one when it is at least as recent as the stored one,
   * as `noteLastRuns` does for synced pipelines (managed ones have no connector to key them by).
   */
  noteLastRun(spaceId: Id, id: Id, run: { status: RunStatus; runAt: Date }): Promise<void>;
  /**
   * A managed pipeline's incremental state: the cursor each incremental source step reached in the
   * last run that succeeded (step name → cursor text); `{}` before any, or when absent.
   */
  incrementalState(spaceId: Id, id: Id): Promise<Record<string, string>>;
  /** Sets the cursors of the given steps, keeping the others. */
  saveIncrementalState(spaceId: Id, id: Id, cursors: Record<string, string>): Promise<void>;
  /** Sets `paused` and `nextRunAt` (and `updatedAt`). False when absent. */
  setPaused(spaceId: Id, id: Id, paused: boolean, nextRunAt: Date | null, at: Date): Promise<boolean>;
  /** Managed pipelines of every space, not paused, whose `nextRunAt <= now`; most overdue first. */
  dueManaged(now: Date, limit: number): Promise<Pipeline[]>;
  /**
   * Moves a managed pipeline's `nextRunAt` from `expected` to `next` if it still is `expected` and
   * the pipeline is not paused: of several processes that saw it due, exactly one gets true.
   */
  advanceSchedule(spaceId: Id, id: Id, expected: Date, next: Date | null): Promise<boolean>;
}

/** Versions of managed pipelines: immutable once created. */
export interface PipelineVersionRepository {
  /**
   * Inserts a version. Throws conflict `VERSION_CONFLICT` when the pipeline already has a
   * version of that number.
   */
  create(version: PipelineVersion): Promise<void>;
  get(spaceId: Id, pipelineId: Id, id: Id): Promise<PipelineVersion | undefined>;
  getByNumber(spaceId: Id, pipelineId: Id, number: number): Promise<PipelineVersion | undefined>;
  /** Newest (highest number) first. */
  list(spaceId: Id, pipelineId: Id, page: PageRequest): Promise<Paged<PipelineVersion>>;
}

export interface WatchRepository {
  /** Idempotent. */
  watch(spaceId: Id, pipelineId: Id, userId: Id, at: Date): Promise<void>;
  /** Idempotent. */
  unwatch(spaceId: Id, pipelineId: Id, userId: Id): Promise<void>;
  isWatching(spaceId: Id, pipelineId: Id, userId: Id): Promise<boolean>;
}

export interface RunRepository {
  get(spaceId: Id, id: Id): Promise<Run | undefined>;
  getByExternalId(spaceId: Id, connectorId: Id, pipelineExternalId: string, externalId: string): Promise<Run | undefined>;
  /** Runs of a pipeline, newest first (runAt desc, id desc). */
  listForPipeline(spaceId: Id, pipelineId: Id, filter: RunFilter, page: PageRequest): Promise<Paged<Run>>;
  /** The newest run of a pipeline. */
  latest(spaceId: Id, pipelineId: Id): Promise<Run | undefined>;
  /**
   * Inserts or updates runs keyed by (connector, pipeline external id, external id). Runs whose
   * pipeline is unknown are skipped. `triggeredBy` and first-seen times are kept. Returns how many
   * were written. All or none, also outside a unit of work: a sync writes its batches so.
   */
  upsertFromProvider(connector: Connector, runs: ProviderRun[], seenAt: Date): Promise<number>;
  /**
   * Stores a run Signalbox triggered with the fingerprint of the request that started it (null when
   * not known); when the key exists, keeps the stored run and returns it, and its fingerprint, but
   * fills one in when it had none (the request that created the run may store after one that only
   * found it in the orchestrator). With `noteLastRun`, a run it inserts also becomes its pipeline's
   * last run, as `PipelineRepository.noteLastRun` does, in the same write: a trigger needs no unit
   * of work of its own. Throws not_found when the pipeline is not in the run's space.
   */
  insertTriggered(run: Run, requestHash: string | null, opts?: { noteLastRun?: boolean }): Promise<Run>;
  /**
   * Writes what a managed run's engine reports (status, times, progress, rows, error, engine), and
   * `updatedAt`. Only while the run is not finished: a finished run is never changed again, so a
   * late write of a taken-over worker cannot undo the outcome. False when absent or finished.
   */
  updateManaged(spaceId: Id, id: Id, patch: ManagedRunPatch, at: Date): Promise<boolean>;
  /**
   * Starts a queued managed run (status running, `startedAt` and `runAt` set to `at` when unset)
   * if its pipeline has room: fewer than `maxActiveRuns` other runs running (dry runs never count
   * and never wait) and no older queued run that is not a dry run. Atomic across processes: of
   * runs started at once, never more than the limit start. `busy` when it must wait; `not_queued`
   * when the run is absent or not queued (running already: a resumed run; or finished).
   */
  startManaged(spaceId: Id, id: Id, maxActiveRuns: number, at: Date): Promise<'started' | 'busy' | 'not_queued'>;
  /**
   * Asks a managed run to stop. A queued run is canceled at once (status canceled, `finishedAt`);
   * a running one gets `cancelRequestedAt` (its engine stops it); a finished one is left as it is.
   * Resolves the run as it is after, or undefined when absent.
   */
  requestCancel(spaceId: Id, id: Id, at: Date): Promise<Run | undefined>;
  /**
   * Managed runs of every space, queued or running, that no job (key `jobKeyPrefix` + run id) will
   * ever run: their job failed for good, or was lost. Oldest first.
   */
  orphanedManaged(jobKeyPrefix: string, limit: number): Promise<Run[]>;
  /** The fingerprint a triggered run was stored with; null for a synced run, or when absent. */
  requestHash(spaceId: Id, id: Id): Promise<string | null>;
}

export interface TaskRunRepository {
  get(spaceId: Id, id: Id): Promise<TaskRun | undefined>;
  /** Task runs of a run, by start time then task id. */
  listForRun(spaceId: Id, runId: Id): Promise<TaskRun[]>;
  /**
   * Inserts or updates task runs keyed by (run, task id, map index). Task runs whose run is
   * unknown are skipped. Returns how many were written. All or none, also outside a unit of work:
   * a sync writes its batches so.
   */
  upsertFromProvider(connector: Connector, taskRuns: ProviderTaskRun[], seenAt: Date): Promise<number>;
  /**
   * Inserts or replaces the task runs of a managed run's steps, keyed by (run, task id, map index):
   * every field but `id` and `createdAt` of a stored one is replaced. Only while the run is queued
   * or running: the steps of a finished run (or of an absent one) are left as they are, so a worker
   * that lost the run cannot change its outcome.
   */
  putSteps(taskRuns: TaskRun[]): Promise<void>;
}

export interface CommentRepository {
  get(spaceId: Id, id: Id): Promise<Comment | undefined>;
  /** Oldest first. */
  list(spaceId: Id, target: CommentTarget, page: PageRequest): Promise<Paged<Comment>>;
  create(comment: Comment): Promise<void>;
  updateBody(spaceId: Id, id: Id, body: string, at: Date): Promise<boolean>;
  delete(spaceId: Id, id: Id): Promise<boolean>;
}

export interface SyncRepository {
  /**
   * Starts a sync: inserts `record` (status running) unless the connector has a running sync whose
   * heartbeat is newer than `staleBefore`; a stale one is marked failed first. Atomic across
   * processes. Resolves `{ started: true }` or `{ started: false, running }`.
   */
  begin(record: SyncRecord, staleBefore: Date): Promise<{ started: true } | { started: false; running: SyncRecord }>;
  /**
   * Refreshes a running sync's heartbeat and counts. Resolves false when the sync no longer holds
   * its lease (it was taken over as abandoned, or has finished): its process must stop.
   */
  heartbeat(spaceId: Id, id: Id, at: Date, counts: SyncRecord['counts']): Promise<boolean>;
  /** Records the outcome of a sync that still runs; resolves false (and writes nothing) when it lost its lease. */
  finish(record: SyncRecord): Promise<boolean>;
  get(spaceId: Id, connectorId: Id, id: Id): Promise<SyncRecord | undefined>;
  /** Newest first. */
  list(spaceId: Id, connectorId: Id, page: PageRequest): Promise<Paged<SyncRecord>>;
}

/** Every repository the use cases need; adapters provide them together. */
export interface Repositories {
  spaces: SpaceRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  memberships: MembershipRepository;
  teams: TeamRepository;
  connectors: ConnectorRepository;
  pipelines: PipelineRepository;
  versions: PipelineVersionRepository;
  watches: WatchRepository;
  runs: RunRepository;
  taskRuns: TaskRunRepository;
  comments: CommentRepository;
  syncs: SyncRepository;
  /** Background work, on the same database so a unit of work may enqueue with its writes. */
  jobs: JobQueue;
}

export type { Actor };
