import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { notFound } from '../errors';
import type { TeamRepository } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import { checkName, type Team } from '../space/space';
import type { SpaceAccess } from './space-access';

/** Owning teams of a space: members read them, admins manage them. */
export class TeamService {
  constructor(
    private readonly teams: TeamRepository,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async list(actor: Actor, slug: string, page: PageRequest): Promise<Paged<Team>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    return this.teams.list(space.id, page);
  }

  /** Throws invalid | conflict (TEAM_EXISTS). */
  async create(actor: Actor, slug: string, input: { name: string }): Promise<Team> {
    const space = await this.access.resolve(actor, slug, 'team:manage');
    const team: Team = { id: this.ids.id(), spaceId: space.id, name: checkName(input.name), createdAt: this.clock.now() };
    await this.teams.create(team);
    return team;
  }

  /** Throws not_found | invalid | conflict. */
  async rename(actor: Actor, slug: string, teamId: string, input: { name: string }): Promise<Team> {
    const space = await this.access.resolve(actor, slug, 'team:manage');
    const name = checkName(input.name);
    if (!(await this.teams.rename(space.id, teamId, name))) throw notFound('team', teamId);
    return (await this.teams.get(space.id, teamId))!;
  }

  /** Pipelines the team owned lose their team. Throws not_found. */
  async delete(actor: Actor, slug: string, teamId: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'team:manage');
    if (!(await this.teams.delete(space.id, teamId))) throw notFound('team', teamId);
  }
}
