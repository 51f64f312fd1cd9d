import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import type { PipelineSpec } from '../definition/definition';
import { invalid, notFound } from '../errors';
import { checkCriticality, DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS, type PipelineFilter, type PipelineView } from '../pipeline/pipeline';
import type { PipelineProjection, RenderedPage } from '../pipeline/projection';
import { summaryWindowStart } from '../pipeline/summary';
import type { PipelineListQuery, PipelineRepository, PipelineVersionRepository, RunRepository, TeamRepository, WatchRepository } from '../ports/repositories';
import type { Clock } from '../ports/system';
import type { Run } from '../run/run';
import type { SpaceAccess } from './space-access';

/** A conditional read's answer: its tag, and the value unless the caller holds that tag already. */
export interface Tagged<T> {
  tag: string;
  value: T | null;
}

/** How long an answer's tag holds while nothing is written (see `PipelineService.tag`). */
const TAG_MINUTE_MS = 60_000;

export interface PipelineDetail extends PipelineView {
  lastRun: Run | null;
  /** A managed pipeline's normalized definition (its current version's spec); null for a synced one. */
  definition: PipelineSpec | null;
}

export function checkDays(days: number | undefined): number {
  const d = days ?? DEFAULT_SUMMARY_DAYS;
  if (!Number.isInteger(d) || d < 1 || d > MAX_SUMMARY_DAYS) throw invalid('days', `must be an integer from 1 to ${MAX_SUMMARY_DAYS}`);
  return d;
}

/** Reading pipelines and the product fields users own: team, criticality, watching. */
export class PipelineService {
  constructor(
    private readonly pipelines: PipelineRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly runs: RunRepository,
    private readonly teams: TeamRepository,
    private readonly watches: WatchRepository,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
  ) {}

  /** A filtered page with summary metrics over `days` (default 7, 1..365). */
  async list(actor: Actor, slug: string, filter: PipelineFilter, page: PageRequest, days?: number): Promise<Paged<PipelineView>> {
    const { spaceId, query } = await this.listQuery(actor, slug, filter, page, days, this.clock.now());
    return this.pipelines.list(spaceId, query);
  }

  /**
   * The same page as `list`, as JSON text in the projection's shape (see
   * `PipelineRepository.listRendered`), with its tag; no page when the caller holds that tag
   * already (`held`, or `*`): then only the space's data version is read.
   */
  async listRendered(
    actor: Actor,
    slug: string,
    filter: PipelineFilter,
    page: PageRequest,
    days: number | undefined,
    projection: PipelineProjection,
    held: readonly string[] = [],
  ): Promise<Tagged<RenderedPage>> {
    // One instant for the window and the tag: the tag's minute is the window's.
    const now = this.clock.now();
    const unchanged = await this.unchangedAsKept(actor, slug, days, now, held, true);
    if (unchanged) return unchanged;
    const { spaceId, query, dataVersion } = await this.listQuery(actor, slug, filter, page, days, now);
    if (held.length > 0) {
      // The version read with the space: a held tag is answered with no further read.
      const tag = this.tag(dataVersion, actor, now);
      if (held.includes(tag) || held.includes('*')) return { tag, value: null };
    }
    const rendered = await this.pipelines.listRendered(spaceId, query, projection);
    return { tag: this.tag(rendered.version, actor, now), value: rendered };
  }

  private async listQuery(actor: Actor, slug: string, filter: PipelineFilter, page: PageRequest, days: number | undefined, now: Date) {
    const { space, dataVersion } = await this.access.resolveVersioned(actor, slug, 'space:read');
    const d = checkDays(days);
    return {
      spaceId: space.id,
      dataVersion,
      query: { filter, page, viewerId: actor.userId, days: d, since: summaryWindowStart(now, d) } satisfies PipelineListQuery,
    };
  }

  /** One pipeline with its summary, last run and whether the caller watches it. Throws not_found. */
  async get(actor: Actor, slug: string, id: string, days?: number): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    return this.detail(actor, space.id, id, checkDays(days), this.clock.now());
  }

  /**
   * `get` with its tag; no detail when the caller holds that tag already (see `listRendered`;
   * `*` is not taken here, as the pipeline must be read to know it exists). Throws not_found.
   */
  async getTagged(actor: Actor, slug: string, id: string, days: number | undefined, held: readonly string[] = []): Promise<Tagged<PipelineDetail>> {
    // One instant for the window and the tag, as for a list.
    const now = this.clock.now();
    const unchanged = await this.unchangedAsKept(actor, slug, days, now, held, false);
    if (unchanged) return unchanged;
    // The version read with the space, before the detail: a write in between leaves the tag older than the answer, never newer.
    const { space, dataVersion } = await this.access.resolveVersioned(actor, slug, 'space:read');
    const d = checkDays(days);
    const tag = this.tag(dataVersion, actor, now);
    if (held.includes(tag)) return { tag, value: null };
    return { tag, value: await this.detail(actor, space.id, id, d, now) };
  }

  private async detail(actor: Actor, spaceId: string, id: string, d: number, now: Date): Promise<PipelineDetail> {
    const view = await this.pipelines.view(spaceId, id, actor.userId, summaryWindowStart(now, d), d);
    if (!view) throw notFound('pipeline', id);
    const current = view.pipeline.managed?.currentVersion;
    const [lastRun, version] = await Promise.all([this.runs.latest(spaceId, id), current ? this.versions.get(spaceId, id, current.id) : undefined]);
    return { ...view, lastRun: lastRun ?? null, definition: version?.spec ?? null };
  }

  /** Sets or clears the owning team; the team must be of the same space. Throws not_found | invalid. */
  async setTeam(actor: Actor, slug: string, id: string, teamId: string | null): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'pipeline:edit');
    if (teamId !== null && !(await this.teams.get(space.id, teamId))) {
      throw invalid('team_id', `no team '${teamId}' in this space`, 'TEAM_NOT_FOUND');
    }
    if (!(await this.pipelines.setTeam(space.id, id, teamId, this.clock.now()))) throw notFound('pipeline', id);
    return this.get(actor, slug, id);
  }

  async setCriticality(actor: Actor, slug: string, id: string, criticality: string | null): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'pipeline:edit');
    if (!(await this.pipelines.setCriticality(space.id, id, checkCriticality(criticality), this.clock.now()))) {
      throw notFound('pipeline', id);
    }
    return this.get(actor, slug, id);
  }

  /** Idempotent. Throws not_found. */
  async watch(actor: Actor, slug: string, id: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'pipeline:watch');
    if (!(await this.pipelines.get(space.id, id))) throw notFound('pipeline', id);
    await this.watches.watch(space.id, id, actor.userId, this.clock.now());
  }

  /** Idempotent. Throws not_found. */
  async unwatch(actor: Actor, slug: string, id: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'pipeline:watch');
    if (!(await this.pipelines.get(space.id, id))) throw notFound('pipeline', id);
    await this.watches.unwatch(space.id, id, actor.userId);
  }

  /**
   * A 304 answered from the space's answer the repository keeps (`SpaceAccess.keptVersioned`),
   * with no read, when the caller holds its tag (or `*`, where `star`); undefined otherwise, and
   * then the caller reads as usual. `days` is checked as the read would, after the space.
   */
  private async unchangedAsKept(
    actor: Actor,
    slug: string,
    days: number | undefined,
    now: Date,
    held: readonly string[],
    star: boolean,
  ): Promise<Tagged<never> | undefined> {
    if (held.length === 0) return undefined;
    const known = await this.access.keptVersioned(actor, slug, 'space:read');
    if (!known) return undefined;
    checkDays(days);
    const tag = this.tag(known.dataVersion, actor, now);
    return held.includes(tag) || (star && held.includes('*')) ? { tag, value: null } : undefined;
  }

  /**
   * The tag of an answer: the space's data version, the reader (`watched` is theirs) and the
   * minute. Summaries are over a window that moves with the clock, so an answer is held for the
   * minute at most: a run leaving the window is seen within a minute.
   */
  private tag(version: string, actor: Actor, now: Date): string {
    return `${version}-${Math.floor(now.getTime() / TAG_MINUTE_MS).toString(36)}-${actor.userId}`;
  }
}
