import type { ApiKey, User } from '../access/access';
import type { Job } from '../background/job-queue';
import type { Comment, CommentTarget } from '../comment/comment';
import { type Id, type Paged, type PageRequest, pageOf } from '../common';
import type { Connector } from '../connector/connector';
import { conflict, notFound } from '../errors';
import type { PipelineVersion } from '../pipeline/managed';
import { type Pipeline, type PipelineView, type ProviderPipeline, pipelineStatus } from '../pipeline/pipeline';
import { type PipelineProjection, project, type RenderedPage } from '../pipeline/projection';
import { inSummaryWindow, summarize } from '../pipeline/summary';
import type {
  ApiKeyRepository,
  CommentRepository,
  ConnectorRepository,
  ConnectorSyncOutcome,
  MembershipRepository,
  PipelineListQuery,
  PipelineRepository,
  PipelineVersionRepository,
  Repositories,
  RunRepository,
  SpaceRepository,
  SyncRepository,
  TaskRunRepository,
  TeamRepository,
  UserRepository,
  WatchRepository,
} from '../ports/repositories';
import type { IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { durationOf, isFinished, type ManagedRunPatch, type ProviderRun, type Run, type RunFilter, type RunStatus, runAtOf } from '../run/run';
import type { Membership, Space, Team } from '../space/space';
import type { SyncRecord } from '../sync/sync';
import { type ProviderTaskRun, type TaskRun, taskRunExternalId } from '../task-run/task-run';
import { InMemoryJobQueue } from './in-memory-job-queue';

/*
 * In-memory repositories: the reference implementation of the repository contracts, for unit
 * tests of the core and the HTTP adapter. Values are copied in and out, as a database would.
 */

const copy = <T>(v: T): T => structuredClone(v);
const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** FNV-1a, 32 bits, as hex: a short digest of a text for the in-memory data version. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

class Store {
  spaces = new Map<Id, Space>();
  users = new Map<Id, User>();
  keys = new Map<Id, ApiKey>();
  memberships = new Map<string, Membership>();
  teams = new Map<Id, Team>();
  connectors = new Map<Id, Connector>();
  pipelines = new Map<Id, Pipeline & { seenBySync: Id | null; incrementalState?: Record<string, string> }>();
  versions = new Map<Id, PipelineVersion>();
  watches = new Map<string, { spaceId: Id; pipelineId: Id; userId: Id }>();
  runs = new Map<Id, Run & { pipelineExternalId: string; requestHash?: string | null }>();
  taskRuns = new Map<Id, TaskRun>();
  comments = new Map<Id, Comment>();
  syncs = new Map<Id, SyncRecord>();
  jobs = new Map<Id, Job>();
}

/** A digest of everything of the space a list or detail shows: it changes exactly when one of them does. */
function dataVersionOf(s: Store, spaceId: Id): string {
  const ofSpace = <T extends { spaceId: Id }>(m: Map<unknown, T>) => [...m.values()].filter((x) => x.spaceId === spaceId);
  return fnv1a(JSON.stringify([ofSpace(s.pipelines), ofSpace(s.runs), ofSpace(s.versions), ofSpace(s.watches)]));
}

export class InMemorySpaceRepository implements SpaceRepository {
  constructor(private readonly s: Store) {}
  async get(id: Id) {
    return copy(this.s.spaces.get(id));
  }
  async getBySlug(slug: string) {
    return copy([...this.s.spaces.values()].find((x) => x.slug === slug));
  }
  async getBySlugWithRole(slug: string, userId: Id) {
    const space = await this.getBySlug(slug);
    return space && { space, role: this.s.memberships.get(`${space.id}/${userId}`)?.role ?? null, dataVersion: dataVersionOf(this.s, space.id) };
  }
  async listVisible(userId: Id, all: boolean, page: PageRequest) {
    const visible = [...this.s.spaces.values()].filter((sp) => all || this.s.memberships.has(`${sp.id}/${userId}`));
    return copy(pageOf(visible.sort(byKey((x) => x.slug)), page));
  }
  async getVisibleByPipeline(pipelineId: Id, userId: Id, all: boolean) {
    const pipeline = this.s.pipelines.get(pipelineId);
    if (!pipeline || !(all || this.s.memberships.has(`${pipeline.spaceId}/${userId}`))) return undefined;
    return copy(this.s.spaces.get(pipeline.spaceId));
  }
  async create(space: Space) {
    if ([...this.s.spaces.values()].some((x) => x.slug === space.slug)) throw conflict('SPACE_EXISTS', `space '${space.slug}' exists`);
    this.s.spaces.set(space.id, copy(space));
  }
}

export class InMemoryUserRepository implements UserRepository {
  constructor(private readonly s: Store) {}
  async get(id: Id) {
    return copy(this.s.users.get(id));
  }
  async getByEmail(email: string) {
    return copy([...this.s.users.values()].find((u) => u.email === email.toLowerCase()));
  }
  async create(user: User) {
    if ([...this.s.users.values()].some((u) => u.email === user.email)) throw conflict('USER_EXISTS', `user '${user.email}' exists`);
    this.s.users.set(user.id, copy(user));
  }
}

export class InMemoryApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly s: Store) {}
  async get(userId: Id, id: Id) {
    const k = this.s.keys.get(id);
    return k?.userId === userId ? copy(k) : undefined;
  }
  async getByHash(hash: string) {
    return copy([...this.s.keys.values()].find((k) => k.hash === hash));
  }
  async getWithUserByHash(hash: string) {
    const key = await this.getByHash(hash);
    const user = key && copy(this.s.users.get(key.userId));
    return key && user && { key, user };
  }
  async listForUser(userId: Id) {
    return copy(
      [...this.s.keys.values()].filter((k) => k.userId === userId).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)),
    );
  }
  async create(key: ApiKey) {
    if ([...this.s.keys.values()].some((k) => k.hash === key.hash)) throw conflict('API_KEY_EXISTS', 'api key exists');
    this.s.keys.set(key.id, copy(key));
  }
  async revoke(userId: Id, id: Id, at: Date) {
    const k = this.s.keys.get(id);
    if (!k || k.userId !== userId) return false;
    k.revokedAt ??= new Date(at);
    return true;
  }
}

export class InMemoryMembershipRepository implements MembershipRepository {
  constructor(private readonly s: Store) {}
  async get(spaceId: Id, userId: Id) {
    return copy(this.s.memberships.get(`${spaceId}/${userId}`));
  }
  async list(spaceId: Id, page: PageRequest) {
    const rows = [...this.s.memberships.values()]
      .filter((m) => m.spaceId === spaceId)
      .map((m) => ({ ...m, user: this.s.users.get(m.userId)! }))
      .sort(byKey((m) => m.user.email));
    return copy(pageOf(rows, page));
  }
  async put(m: Membership) {
    const current = this.s.memberships.get(`${m.spaceId}/${m.userId}`);
    this.s.memberships.set(`${m.spaceId}/${m.userId}`, copy({ ...m, createdAt: current?.createdAt ?? m.createdAt }));
  }
  async delete(spaceId: Id, userId: Id) {
    return this.s.memberships.delete(`${spaceId}/${userId}`);
  }
  /** `lock` needs nothing here: units of work on the in-memory store run one at a time. */
  async countAdmins(spaceId: Id, _opts?: { lock?: boolean }) {
    return [...this.s.memberships.values()].filter((m) => m.spaceId === spaceId && m.role === 'admin').length;
  }
}

export class InMemoryTeamRepository implements TeamRepository {
  constructor(private readonly s: Store) {}
  async get(spaceId: Id, id: Id) {
    const t = this.s.teams.get(id);
    return t?.spaceId === spaceId ? copy(t) : undefined;
  }
  async list(spaceId: Id, page: PageRequest) {
    const rows = [...this.s.teams.values()].filter((t) => t.spaceId === spaceId).sort(byKey((t) => `${t.name}\0${t.id}`));
    return copy(pageOf(rows, page));
  }
  private taken(spaceId: Id, name: string, except?: Id) {
    return [...this.s.teams.values()].some((t) => t.spaceId === spaceId && t.id !== except && t.name.toLowerCase() === name.toLowerCase());
  }
  async create(team: Team) {
    if (this.taken(team.spaceId, team.name)) throw conflict('TEAM_EXISTS', `team '${team.name}' exists`);
    this.s.teams.set(team.id, copy(team));
  }
  async rename(spaceId: Id, id: Id, name: string) {
    const t = this.s.teams.get(id);
    if (!t || t.spaceId !== spaceId) return false;
    if (this.taken(spaceId, name, id)) throw conflict('TEAM_EXISTS', `team '${name}' exists`);
    t.name = name;
    return true;
  }
  async delete(spaceId: Id, id: Id) {
    const t = this.s.teams.get(id);
    if (!t || t.spaceId !== spaceId) return false;
    this.s.teams.delete(id);
    for (const p of this.s.pipelines.values()) if (p.teamId === id) p.teamId = null;
    return true;
  }
}

export class InMemoryConnectorRepository implements ConnectorRepository {
  constructor(private readonly s: Store) {}
  async get(spaceId: Id, id: Id) {
    const c = this.s.connectors.get(id);
    return c?.spaceId === spaceId ? copy(c) : undefined;
  }
  async getByName(spaceId: Id, name: string) {
    return copy([...this.s.connectors.values()].find((c) => c.spaceId === spaceId && c.name === name));
  }
  async list(spaceId: Id, page: PageRequest) {
    const rows = [...this.s.connectors.values()].filter((c) => c.spaceId === spaceId).sort(byKey((c) => `${c.name}\0${c.id}`));
    return copy(pageOf(rows, page));
  }
  private taken(c: Connector) {
    return [...this.s.connectors.values()].some((x) => x.spaceId === c.spaceId && x.id !== c.id && x.name === c.name);
  }
  async create(c: Connector) {
    if (this.taken(c)) throw conflict('CONNECTOR_EXISTS', `connector '${c.name}' exists`);
    this.s.connectors.set(c.id, copy(c));
  }
  async update(c: Connector) {
    const cur = this.s.connectors.get(c.id);
    if (!cur || cur.spaceId !== c.spaceId) return false;
    if (this.taken(c)) throw conflict('CONNECTOR_EXISTS', `connector '${c.name}' exists`);
    Object.assign(
      cur,
      copy({ name: c.name, config: c.config, cursor: c.cursor, syncIntervalSeconds: c.syncIntervalSeconds, nextSyncAt: c.nextSyncAt, updatedAt: c.updatedAt }),
    );
    return true;
  }
  async recordSync(spaceId: Id, id: Id, o: ConnectorSyncOutcome) {
    const c = this.s.connectors.get(id);
    if (!c || c.spaceId !== spaceId) return;
    c.lastSyncAt = new Date(o.at);
    c.lastSyncStatus = o.status;
    c.lastError = o.error;
    if (o.cursor !== undefined) c.cursor = o.cursor;
    if (o.schedule) {
      c.nextSyncAt = o.schedule.nextSyncAt && new Date(o.schedule.nextSyncAt);
      c.syncFailures = o.schedule.failures;
    }
  }
  async dueForSync(now: Date, limit: number) {
    const due = [...this.s.connectors.values()].filter((c) => c.nextSyncAt !== null && c.nextSyncAt <= now);
    return copy(due.sort(byKey((c) => `${c.nextSyncAt!.toISOString()}\0${c.id}`)).slice(0, limit));
  }
  async claimScheduledSync(spaceId: Id, id: Id, expected: Date, next: Date) {
    const c = this.s.connectors.get(id);
    if (c?.spaceId !== spaceId || c.nextSyncAt?.getTime() !== expected.getTime()) return false;
    c.nextSyncAt = new Date(next);
    return true;
  }
  async delete(spaceId: Id, id: Id) {
    const c = this.s.connectors.get(id);
    if (!c || c.spaceId !== spaceId) return false;
    // As the database's keys cascade: its pipelines (managed ones on it as their engine too), and their runs and versions.
    const pipelineIds = new Set([...this.s.pipelines.values()].filter((p) => p.connectorId === id).map((p) => p.id));
    const runIds = new Set([...this.s.runs.values()].filter((r) => r.connectorId === id || pipelineIds.has(r.pipelineId)).map((r) => r.id));
    const taskIds = new Set([...this.s.taskRuns.values()].filter((t) => runIds.has(t.runId)).map((t) => t.id));
    for (const [k, cm] of this.s.comments) if (runIds.has(cm.target.id) || taskIds.has(cm.target.id)) this.s.comments.delete(k);
    for (const k of taskIds) this.s.taskRuns.delete(k);
    for (const k of runIds) this.s.runs.delete(k);
    for (const [k, v] of this.s.versions) if (pipelineIds.has(v.pipelineId)) this.s.versions.delete(k);
    for (const [k, w] of this.s.watches) if (pipelineIds.has(w.pipelineId)) this.s.watches.delete(k);
    for (const k of pipelineIds) this.s.pipelines.delete(k);
    for (const [k, sy] of this.s.syncs) if (sy.connectorId === id) this.s.syncs.delete(k);
    return this.s.connectors.delete(id);
  }
}

export class InMemoryPipelineRepository implements PipelineRepository {
  constructor(
    private readonly s: Store,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    const p = this.s.pipelines.get(id);
    return p?.spaceId === spaceId ? strip(p) : undefined;
  }

  async view(spaceId: Id, id: Id, viewerId: Id, since: Date, days: number) {
    const p = await this.get(spaceId, id);
    return p && this.toView(p, viewerId, since, days);
  }

  async list(spaceId: Id, q: PipelineListQuery): Promise<Paged<PipelineView>> {
    const f = q.filter;
    const needle = f.q?.toLowerCase();
    const rows = [...this.s.pipelines.values()]
      .filter((p) => p.spaceId === spaceId)
      .filter((p) => f.includeRemoved || p.removedAt === null)
      .filter((p) => !f.provider?.length || f.provider.includes(p.provider))
      .filter((p) => !f.origin?.length || f.origin.includes(p.origin))
      .filter((p) => !f.status?.length || f.status.includes(pipelineStatus(p)))
      .filter((p) => !f.owner || p.owner === f.owner)
      .filter((p) => !f.criticality?.length || (p.criticality !== null && f.criticality.includes(p.criticality)))
      .filter((p) => !f.teamId || p.teamId === f.teamId)
      .filter((p) => !f.connectorId || p.connectorId === f.connectorId)
      .filter((p) => !f.watchedOnly || this.s.watches.has(`${p.id}/${q.viewerId}`))
      .filter((p) => !needle || [p.name, p.externalId, p.description ?? '', p.owner ?? '', ...p.tags].some((t) => t.toLowerCase().includes(needle)))
      .sort(byKey((p) => `${p.name}\0${p.id}`));
    const page = pageOf(rows, q.page);
    return { total: page.total, items: page.items.map((p) => this.toView(strip(p), q.viewerId, q.since, q.days)) };
  }

  async listRendered(spaceId: Id, q: PipelineListQuery, projection: PipelineProjection): Promise<RenderedPage> {
    const page = await this.list(spaceId, q);
    return { total: page.total, json: JSON.stringify(page.items.map((v) => project(projection, v))), version: await this.dataVersion(spaceId) };
  }

  /** A digest of everything of the space a list or detail shows: it changes exactly when one of them does. */
  async dataVersion(spaceId: Id) {
    return dataVersionOf(this.s, spaceId);
  }

  async upsertFromProvider(connector: Connector, pipelines: ProviderPipeline[], syncId: Id, at: Date) {
    for (const pp of pipelines) {
      const cur = [...this.s.pipelines.values()].find((p) => p.connectorId === connector.id && p.externalId === pp.externalId);
      if (cur) {
        Object.assign(cur, copy(pp), { removedAt: null, seenBySync: syncId, updatedAt: new Date(at) });
      } else {
        const id = this.ids.id();
        this.s.pipelines.set(id, {
          ...copy(pp),
          id,
          spaceId: connector.spaceId,
          origin: 'synced',
          connectorId: connector.id,
          provider: connector.type,
          managed: null,
          teamId: null,
          criticality: null,
          lastRunStatus: null,
          lastRunAt: null,
          removedAt: null,
          createdAt: new Date(at),
          updatedAt: new Date(at),
          seenBySync: syncId,
        });
      }
    }
  }

  async markRemoved(spaceId: Id, connectorId: Id, syncId: Id, at: Date) {
    let n = 0;
    for (const p of this.s.pipelines.values()) {
      if (p.spaceId === spaceId && p.connectorId === connectorId && p.origin === 'synced' && p.removedAt === null && p.seenBySync !== syncId) {
        p.removedAt = new Date(at);
        n++;
      }
    }
    return n;
  }

  async noteLastRuns(spaceId: Id, connectorId: Id, runs: { pipelineExternalId: string; status: Run['status']; runAt: Date }[]) {
    for (const r of runs) {
      const p = [...this.s.pipelines.values()].find((x) => x.spaceId === spaceId && x.connectorId === connectorId && x.externalId === r.pipelineExternalId);
      if (p && (p.lastRunAt === null || p.lastRunAt.getTime() <= r.runAt.getTime())) {
        p.lastRunAt = new Date(r.runAt);
        p.lastRunStatus = r.status;
      }
    }
  }

  async noteLastRun(spaceId: Id, id: Id, run: { status: RunStatus; runAt: Date }) {
    const p = this.s.pipelines.get(id);
    if (p?.spaceId !== spaceId || (p.lastRunAt !== null && p.lastRunAt.getTime() > run.runAt.getTime())) return;
    p.lastRunAt = new Date(run.runAt);
    p.lastRunStatus = run.status;
  }

  async incrementalState(spaceId: Id, id: Id) {
    const p = this.s.pipelines.get(id);
    return p?.spaceId === spaceId ? copy(p.incrementalState ?? {}) : {};
  }

  async saveIncrementalState(spaceId: Id, id: Id, cursors: Record<string, string>) {
    const p = this.s.pipelines.get(id);
    if (p?.spaceId === spaceId) p.incrementalState = { ...p.incrementalState, ...copy(cursors) };
  }

  async setTeam(spaceId: Id, id: Id, teamId: Id | null, at: Date) {
    const p = this.s.pipelines.get(id);
    if (!p || p.spaceId !== spaceId) return false;
    p.teamId = teamId;
    p.updatedAt = new Date(at);
    return true;
  }

  async setCriticality(spaceId: Id, id: Id, criticality: Pipeline['criticality'], at: Date) {
    const p = this.s.pipelines.get(id);
    if (!p || p.spaceId !== spaceId) return false;
    p.criticality = criticality;
    p.updatedAt = new Date(at);
    return true;
  }

  async createManaged(pipeline: Pipeline) {
    this.ensureNameFree(pipeline);
    this.s.pipelines.set(pipeline.id, { ...copy(pipeline), seenBySync: null });
  }

  async updateManaged(pipeline: Pipeline, expectedNumber: number) {
    const cur = this.s.pipelines.get(pipeline.id);
    if (!cur || cur.spaceId !== pipeline.spaceId || !cur.managed || cur.managed.currentVersion.number !== expectedNumber) return false;
    this.ensureNameFree(pipeline);
    const { name, externalId, description, owner, tags, schedule, nextRunAt, managed, updatedAt } = copy(pipeline);
    Object.assign(cur, { name, externalId, description, owner, tags, schedule, nextRunAt, managed, updatedAt });
    return true;
  }

  async getManagedByName(spaceId: Id, name: string) {
    return copy([...this.s.pipelines.values()].find((p) => p.spaceId === spaceId && p.origin === 'managed' && p.name === name));
  }

  async deleteManaged(spaceId: Id, id: Id) {
    const p = this.s.pipelines.get(id);
    if (!p || p.spaceId !== spaceId || p.origin !== 'managed') return false;
    const runIds = new Set([...this.s.runs.values()].filter((r) => r.pipelineId === id).map((r) => r.id));
    const taskIds = new Set([...this.s.taskRuns.values()].filter((t) => runIds.has(t.runId)).map((t) => t.id));
    for (const [k, cm] of this.s.comments) if (runIds.has(cm.target.id) || taskIds.has(cm.target.id)) this.s.comments.delete(k);
    for (const k of taskIds) this.s.taskRuns.delete(k);
    for (const k of runIds) this.s.runs.delete(k);
    for (const [k, v] of this.s.versions) if (v.pipelineId === id) this.s.versions.delete(k);
    for (const [k, w] of this.s.watches) if (w.pipelineId === id) this.s.watches.delete(k);
    return this.s.pipelines.delete(id);
  }

  async setPaused(spaceId: Id, id: Id, paused: boolean, nextRunAt: Date | null, at: Date) {
    const p = this.s.pipelines.get(id);
    if (!p || p.spaceId !== spaceId) return false;
    Object.assign(p, { paused, nextRunAt: nextRunAt && new Date(nextRunAt), updatedAt: new Date(at) });
    return true;
  }

  async dueManaged(now: Date, limit: number) {
    return [...this.s.pipelines.values()]
      .filter((p) => p.origin === 'managed' && !p.paused && p.nextRunAt !== null && p.nextRunAt.getTime() <= now.getTime())
      .sort(byKey((p) => `${p.nextRunAt?.toISOString()}\0${p.id}`))
      .slice(0, limit)
      .map(strip);
  }

  async advanceSchedule(spaceId: Id, id: Id, expected: Date, next: Date | null) {
    const p = this.s.pipelines.get(id);
    if (!p || p.spaceId !== spaceId || p.origin !== 'managed' || p.paused || p.nextRunAt?.getTime() !== expected.getTime()) return false;
    p.nextRunAt = next && new Date(next);
    return true;
  }

  private ensureNameFree(pipeline: Pipeline) {
    const taken = [...this.s.pipelines.values()].some(
      (p) => p.id !== pipeline.id && p.spaceId === pipeline.spaceId && p.origin === 'managed' && p.externalId === pipeline.externalId,
    );
    if (taken) throw conflict('PIPELINE_EXISTS', `a managed pipeline named '${pipeline.externalId}' exists in this space`);
  }

  private toView(p: Pipeline, viewerId: Id, since: Date, days: number): PipelineView {
    const runs = [...this.s.runs.values()].filter((r) => r.pipelineId === p.id && inSummaryWindow(r, since));
    return { pipeline: p, summary: summarize(runs, days), watched: this.s.watches.has(`${p.id}/${viewerId}`) };
  }
}

export class InMemoryPipelineVersionRepository implements PipelineVersionRepository {
  constructor(private readonly s: Store) {}
  async create(v: PipelineVersion) {
    const taken = [...this.s.versions.values()].some((x) => x.pipelineId === v.pipelineId && x.number === v.number);
    if (taken) throw conflict('VERSION_CONFLICT', `the pipeline already has a version ${v.number}`);
    this.s.versions.set(v.id, copy(v));
  }
  async get(spaceId: Id, pipelineId: Id, id: Id) {
    const v = this.s.versions.get(id);
    return v?.spaceId === spaceId && v.pipelineId === pipelineId ? copy(v) : undefined;
  }
  async getByNumber(spaceId: Id, pipelineId: Id, number: number) {
    const v = [...this.s.versions.values()].find((x) => x.spaceId === spaceId && x.pipelineId === pipelineId && x.number === number);
    return v && copy(v);
  }
  async list(spaceId: Id, pipelineId: Id, page: PageRequest) {
    const rows = [...this.s.versions.values()].filter((x) => x.spaceId === spaceId && x.pipelineId === pipelineId).sort((a, b) => b.number - a.number);
    const p = pageOf(rows, page);
    return { total: p.total, items: p.items.map(copy) };
  }
}

const strip = (p: Pipeline & { seenBySync?: Id | null; incrementalState?: Record<string, string> }): Pipeline => {
  const { seenBySync: _, incrementalState: __, ...rest } = p;
  return copy(rest);
};

export class InMemoryWatchRepository implements WatchRepository {
  constructor(private readonly s: Store) {}
  async watch(spaceId: Id, pipelineId: Id, userId: Id) {
    if (this.s.pipelines.get(pipelineId)?.spaceId !== spaceId) return; // a pipeline of another space is absent
    this.s.watches.set(`${pipelineId}/${userId}`, { spaceId, pipelineId, userId });
  }
  async unwatch(spaceId: Id, pipelineId: Id, userId: Id) {
    const w = this.s.watches.get(`${pipelineId}/${userId}`);
    if (w?.spaceId === spaceId) this.s.watches.delete(`${pipelineId}/${userId}`);
  }
  async isWatching(spaceId: Id, pipelineId: Id, userId: Id) {
    return this.s.watches.get(`${pipelineId}/${userId}`)?.spaceId === spaceId;
  }
}

export class InMemoryRunRepository implements RunRepository {
  constructor(
    private readonly s: Store,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    const r = this.s.runs.get(id);
    return r?.spaceId === spaceId ? stripRun(r) : undefined;
  }

  async getByExternalId(spaceId: Id, connectorId: Id, pipelineExternalId: string, externalId: string) {
    const r = this.find(connectorId, pipelineExternalId, externalId);
    return r?.spaceId === spaceId ? stripRun(r) : undefined;
  }

  async listForPipeline(spaceId: Id, pipelineId: Id, f: RunFilter, page: PageRequest) {
    const rows = [...this.s.runs.values()]
      .filter((r) => r.spaceId === spaceId && r.pipelineId === pipelineId)
      .filter((r) => !f.status?.length || f.status.includes(r.status))
      .filter((r) => !f.runType?.length || f.runType.includes(r.runType))
      .filter((r) => f.versionId === undefined || r.managed?.pipelineVersionId === f.versionId)
      .filter((r) => !f.startedFrom || (r.startedAt !== null && r.startedAt.getTime() >= f.startedFrom.getTime()))
      .filter((r) => !f.startedTo || (r.startedAt !== null && r.startedAt.getTime() <= f.startedTo.getTime()))
      .sort(newestFirst);
    const p = pageOf(rows, page);
    return { total: p.total, items: p.items.map(stripRun) };
  }

  async latest(spaceId: Id, pipelineId: Id) {
    const r = [...this.s.runs.values()].filter((x) => x.spaceId === spaceId && x.pipelineId === pipelineId).sort(newestFirst)[0];
    return r && stripRun(r);
  }

  async upsertFromProvider(connector: Connector, runs: ProviderRun[], seenAt: Date) {
    let n = 0;
    for (const pr of runs) {
      const pipeline = [...this.s.pipelines.values()].find(
        (p) => p.spaceId === connector.spaceId && p.connectorId === connector.id && p.externalId === pr.pipelineExternalId,
      );
      if (!pipeline) continue;
      const cur = this.find(connector.id, pr.pipelineExternalId, pr.externalId);
      const fields = providerFields(pr, cur?.createdAt ?? seenAt);
      if (cur) Object.assign(cur, fields, { updatedAt: new Date(seenAt) });
      else {
        const id = this.ids.id();
        this.s.runs.set(id, {
          ...fields,
          id,
          spaceId: connector.spaceId,
          connectorId: connector.id,
          pipelineId: pipeline.id,
          origin: 'synced',
          managed: null,
          pipelineExternalId: pr.pipelineExternalId,
          triggeredBy: null,
          createdAt: new Date(seenAt),
          updatedAt: new Date(seenAt),
        });
      }
      n++;
    }
    return n;
  }

  /** Keyed by (pipeline, external id), as the database's unique key: managed runs have no connector to key them by. */
  async insertTriggered(run: Run, requestHash: string | null, opts: { noteLastRun?: boolean } = {}) {
    const pipeline = this.s.pipelines.get(run.pipelineId);
    if (pipeline?.spaceId !== run.spaceId) throw notFound('pipeline', run.pipelineId);
    const cur = [...this.s.runs.values()].find((r) => r.pipelineId === run.pipelineId && r.externalId === run.externalId);
    if (cur) {
      cur.requestHash ??= requestHash;
      return stripRun(cur);
    }
    this.s.runs.set(run.id, { ...copy(run), pipelineExternalId: pipeline.externalId, requestHash });
    if (opts.noteLastRun && (pipeline.lastRunAt === null || pipeline.lastRunAt <= run.runAt)) {
      Object.assign(pipeline, { lastRunStatus: run.status, lastRunAt: new Date(run.runAt) });
    }
    return copy(run);
  }

  async requestHash(spaceId: Id, id: Id) {
    const r = this.s.runs.get(id);
    return (r?.spaceId === spaceId && r.requestHash) || null;
  }

  async updateManaged(spaceId: Id, id: Id, patch: ManagedRunPatch, at: Date) {
    const r = this.managed(spaceId, id);
    if (!r?.managed || isFinished(r.status)) return false;
    const { progress, rowsLoaded, durationMs, engine, error, ...times } = copy(patch);
    const given = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    Object.assign(r, given(times), { updatedAt: new Date(at) });
    Object.assign(r.managed, given({ progress, rowsLoaded, durationMs, engine, error }));
    if (patch.startedAt !== undefined) r.runAt = runAtOf(r, r.createdAt);
    return true;
  }

  /** No lock needed: this method never awaits, so concurrent calls run one after the other. */
  async startManaged(spaceId: Id, id: Id, maxActiveRuns: number, at: Date) {
    const r = this.managed(spaceId, id);
    if (!r?.managed || r.status !== 'queued') return 'not_queued' as const;
    if (!r.managed.options.dry_run) {
      const counted = [...this.s.runs.values()].filter((o) => o.pipelineId === r.pipelineId && o.managed && !o.managed.options.dry_run);
      const running = counted.filter((o) => o.status === 'running').length;
      const older = counted.some((o) => o.status === 'queued' && queueOrder(o, r) < 0);
      if (running >= maxActiveRuns || older) return 'busy' as const;
    }
    r.status = 'running';
    r.startedAt ??= new Date(at);
    r.runAt = new Date(r.startedAt);
    r.updatedAt = new Date(at);
    return 'started' as const;
  }

  async orphanedManaged(jobKeyPrefix: string, limit: number) {
    const keys = new Set([...this.s.jobs.values()].map((j) => j.key));
    return [...this.s.runs.values()]
      .filter((r) => r.origin === 'managed' && (r.status === 'queued' || r.status === 'running') && !keys.has(`${jobKeyPrefix}${r.id}`))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(stripRun);
  }

  async requestCancel(spaceId: Id, id: Id, at: Date) {
    const r = this.managed(spaceId, id);
    if (r?.status === 'queued') Object.assign(r, { status: 'canceled', finishedAt: new Date(at), updatedAt: new Date(at) });
    else if (r?.managed && r.status === 'running' && r.managed.cancelRequestedAt === null) {
      r.managed.cancelRequestedAt = new Date(at);
      r.updatedAt = new Date(at);
    }
    return this.get(spaceId, id);
  }

  private managed(spaceId: Id, id: Id) {
    const r = this.s.runs.get(id);
    return r?.spaceId === spaceId && r.origin === 'managed' ? r : undefined;
  }

  private find(connectorId: Id, pipelineExternalId: string, externalId: string) {
    return [...this.s.runs.values()].find((r) => r.connectorId === connectorId && r.pipelineExternalId === pipelineExternalId && r.externalId === externalId);
  }
}

/** The queue's order: the order runs were stored in (created, then id). */
const queueOrder = (a: Run, b: Run) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const newestFirst = (a: Run, b: Run) => b.runAt.getTime() - a.runAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function providerFields(pr: ProviderRun, firstSeen: Date) {
  return copy({
    externalId: pr.externalId,
    status: pr.status,
    nativeStatus: pr.nativeStatus,
    runType: pr.runType,
    logicalDate: pr.logicalDate,
    queuedAt: pr.queuedAt,
    startedAt: pr.startedAt,
    finishedAt: pr.finishedAt,
    durationSeconds: durationOf(pr),
    conf: pr.conf,
    note: pr.note,
    runAt: runAtOf(pr, firstSeen),
  });
}

const stripRun = (r: Run & { pipelineExternalId?: string; requestHash?: string | null }): Run => {
  const { pipelineExternalId: _, requestHash: __, ...rest } = r;
  return copy(rest);
};

export class InMemoryTaskRunRepository implements TaskRunRepository {
  constructor(
    private readonly s: Store,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    const t = this.s.taskRuns.get(id);
    return t?.spaceId === spaceId ? copy(t) : undefined;
  }

  async listForRun(spaceId: Id, runId: Id) {
    return copy(
      [...this.s.taskRuns.values()]
        .filter((t) => t.spaceId === spaceId && t.runId === runId)
        .sort(
          (a, b) =>
            (a.startedAt?.getTime() ?? Infinity) - (b.startedAt?.getTime() ?? Infinity) ||
            byKey<TaskRun>((t) => `${t.taskId}\0${String(t.mapIndex).padStart(8, '0')}`)(a, b),
        ),
    );
  }

  async upsertFromProvider(connector: Connector, taskRuns: ProviderTaskRun[], seenAt: Date) {
    let n = 0;
    for (const pt of taskRuns) {
      const run = [...this.s.runs.values()].find(
        (r) =>
          r.spaceId === connector.spaceId &&
          r.connectorId === connector.id &&
          r.pipelineExternalId === pt.pipelineExternalId &&
          r.externalId === pt.runExternalId,
      );
      if (!run) continue;
      const cur = [...this.s.taskRuns.values()].find((t) => t.runId === run.id && t.taskId === pt.taskId && t.mapIndex === pt.mapIndex);
      const fields = {
        externalId: taskRunExternalId(pt.taskId, pt.mapIndex),
        taskId: pt.taskId,
        mapIndex: pt.mapIndex,
        status: pt.status,
        nativeStatus: pt.nativeStatus,
        tryNumber: pt.tryNumber,
        startedAt: pt.startedAt,
        finishedAt: pt.finishedAt,
        durationSeconds: durationOf(pt),
        operator: pt.operator,
      };
      if (cur) Object.assign(cur, copy(fields), { updatedAt: new Date(seenAt) });
      else {
        const id = this.ids.id();
        this.s.taskRuns.set(id, {
          ...copy(fields),
          id,
          spaceId: connector.spaceId,
          runId: run.id,
          rows: null,
          error: null,
          plan: null,
          createdAt: new Date(seenAt),
          updatedAt: new Date(seenAt),
        });
      }
      n++;
    }
    return n;
  }

  /** Keyed by (run, task id, map index); a step of a run absent in its space is not written. */
  async putSteps(taskRuns: TaskRun[]) {
    for (const t of taskRuns) {
      const run = this.s.runs.get(t.runId);
      if (run?.spaceId !== t.spaceId || (run.status !== 'queued' && run.status !== 'running')) continue;
      const cur = [...this.s.taskRuns.values()].find((x) => x.runId === t.runId && x.taskId === t.taskId && x.mapIndex === t.mapIndex);
      if (cur) Object.assign(cur, copy({ ...t, id: cur.id, createdAt: cur.createdAt }));
      else this.s.taskRuns.set(t.id, copy(t));
    }
  }
}

export class InMemoryCommentRepository implements CommentRepository {
  constructor(private readonly s: Store) {}
  async get(spaceId: Id, id: Id) {
    const c = this.s.comments.get(id);
    return c?.spaceId === spaceId ? copy(c) : undefined;
  }
  async list(spaceId: Id, target: CommentTarget, page: PageRequest) {
    const rows = [...this.s.comments.values()]
      .filter((c) => c.spaceId === spaceId && c.target.kind === target.kind && c.target.id === target.id)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    return copy(pageOf(rows, page));
  }
  async create(c: Comment) {
    this.s.comments.set(c.id, copy(c));
  }
  async updateBody(spaceId: Id, id: Id, body: string, at: Date) {
    const c = this.s.comments.get(id);
    if (!c || c.spaceId !== spaceId) return false;
    c.body = body;
    c.updatedAt = new Date(at);
    return true;
  }
  async delete(spaceId: Id, id: Id) {
    const c = this.s.comments.get(id);
    return c?.spaceId === spaceId ? this.s.comments.delete(id) : false;
  }
}

export class InMemorySyncRepository implements SyncRepository {
  constructor(private readonly s: Store) {}
  async begin(record: SyncRecord, staleBefore: Date) {
    const running = [...this.s.syncs.values()].find((x) => x.connectorId === record.connectorId && x.status === 'running');
    if (running && running.heartbeatAt.getTime() >= staleBefore.getTime()) return { started: false as const, running: copy(running) };
    if (running) Object.assign(running, { status: 'failed', finishedAt: record.startedAt, error: 'abandoned: no heartbeat within the lease' });
    this.s.syncs.set(record.id, copy(record));
    return { started: true as const };
  }
  async heartbeat(spaceId: Id, id: Id, at: Date, counts: SyncRecord['counts']) {
    const r = this.s.syncs.get(id);
    if (r?.spaceId !== spaceId || r.status !== 'running') return false;
    Object.assign(r, copy({ heartbeatAt: at, counts }));
    return true;
  }
  async finish(record: SyncRecord) {
    const r = this.s.syncs.get(record.id);
    if (r?.spaceId !== record.spaceId || r.status !== 'running') return false;
    this.s.syncs.set(record.id, copy(record));
    return true;
  }
  async get(spaceId: Id, connectorId: Id, id: Id) {
    const r = this.s.syncs.get(id);
    return r?.spaceId === spaceId && r.connectorId === connectorId ? copy(r) : undefined;
  }
  async list(spaceId: Id, connectorId: Id, page: PageRequest) {
    const rows = [...this.s.syncs.values()]
      .filter((r) => r.spaceId === spaceId && r.connectorId === connectorId)
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1));
    return copy(pageOf(rows, page));
  }
}

/** The store behind each set of in-memory repositories, for the unit of work over them. */
const stores = new WeakMap<Repositories, Store>();

/** A fresh, empty set of in-memory repositories. */
export function inMemoryRepositories(ids: IdGenerator): Repositories {
  const s = new Store();
  const repos: Repositories = {
    spaces: new InMemorySpaceRepository(s),
    users: new InMemoryUserRepository(s),
    apiKeys: new InMemoryApiKeyRepository(s),
    memberships: new InMemoryMembershipRepository(s),
    teams: new InMemoryTeamRepository(s),
    connectors: new InMemoryConnectorRepository(s),
    pipelines: new InMemoryPipelineRepository(s, ids),
    versions: new InMemoryPipelineVersionRepository(s),
    watches: new InMemoryWatchRepository(s),
    runs: new InMemoryRunRepository(s, ids),
    taskRuns: new InMemoryTaskRunRepository(s, ids),
    comments: new InMemoryCommentRepository(s),
    syncs: new InMemorySyncRepository(s),
    jobs: new InMemoryJobQueue(s.jobs),
  };
  stores.set(repos, s);
  return repos;
}

/** Fresh, empty in-memory repositories and the unit of work over them. */
export function inMemoryPersistence(ids: IdGenerator): { repos: Repositories; uow: InMemoryUnitOfWork } {
  const repos = inMemoryRepositories(ids);
  return { repos, uow: new InMemoryUnitOfWork(repos) };
}

/**
 * The unit of work over a set of in-memory repositories: a snapshot of the whole store is taken
 * when a unit starts and put back when it throws. Units run one at a time (a promise chain), so a
 * snapshot put back can never erase another unit's writes; writes made outside any unit while one
 * runs are not protected that way, as tests do not need them to be.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  private readonly store: Store;
  private tail: Promise<unknown> = Promise.resolve();

  /** `repos` must come from `inMemoryRepositories`. */
  constructor(private readonly repos: Repositories) {
    const store = stores.get(repos);
    if (!store) throw new Error('InMemoryUnitOfWork needs repositories made by inMemoryRepositories');
    this.store = store;
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.once(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async once<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const snapshot = snapshotOf(this.store);
    try {
      return await work(this.repos);
    } catch (err) {
      restore(snapshot);
      throw err;
    }
  }
}

type Snapshot = [Map<unknown, unknown>, Map<unknown, unknown>][];

/** A deep copy of every table, each paired with the live map it came from. */
function snapshotOf(s: Store): Snapshot {
  return Object.values(s).map((table: Map<unknown, unknown>) => [table, structuredClone(table)]);
}

/** Refills each live map in place: repositories hold the store, never one of its maps. */
function restore(snapshot: Snapshot): void {
  for (const [table, saved] of snapshot) {
    table.clear();
    for (const [k, v] of saved) table.set(k, v);
  }
}
