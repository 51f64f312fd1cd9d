import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import type { PipelineSpec } from '../definition/definition';
import { invalid, notFound } from '../errors';
import { checkCriticality, DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS, type PipelineFilter, type PipelineView } from '../pipeline/pipeline';
import { summaryWindowStart } from '../pipeline/summary';
import type { PipelineRepository, PipelineVersionRepository, RunRepository, TeamRepository, WatchRepository } from '../ports/repositories';
import type { Clock } from '../ports/system';
import type { Run } from '../run/run';
import type { SpaceAccess } from './space-access';

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
    const space = await this.access.resolve(actor, slug, 'space:read');
    const d = checkDays(days);
    return this.pipelines.list(space.id, { filter, page, viewerId: actor.userId, days: d, since: this.since(d) });
  }

  /** One pipeline with its summary, last run and whether the caller watches it. Throws not_found. */
  async get(actor: Actor, slug: string, id: string, days?: number): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    const d = checkDays(days);
    const view = await this.pipelines.view(space.id, id, actor.userId, this.since(d), d);
    if (!view) throw notFound('pipeline', id);
    const current = view.pipeline.managed?.currentVersion;
    const [lastRun, version] = await Promise.all([this.runs.latest(space.id, id), current ? this.versions.get(space.id, id, current.id) : undefined]);
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

  private since(days: number): Date {
    return summaryWindowStart(this.clock.now(), days);
  }
}
