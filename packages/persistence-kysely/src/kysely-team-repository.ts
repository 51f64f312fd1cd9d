import type { Id, Paged, PageRequest, Team, TeamRepository } from '@signalbox/core';
import type { Kysely, Selectable } from 'kysely';
import type { Schema, TeamsTable } from './schema';
import { isUuid, limitOffset, mustDate, toCount, uniquely } from './sql-support';

const toTeam = (r: Selectable<TeamsTable>): Team => ({ id: r.id, spaceId: r.space_id, name: r.name, createdAt: mustDate(r.created_at) });

export class KyselyTeamRepository implements TeamRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.db.selectFrom('teams').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row && toTeam(row);
  }

  async list(spaceId: Id, page: PageRequest): Promise<Paged<Team>> {
    if (!isUuid(spaceId)) return { items: [], total: 0 };
    const { limit, offset } = limitOffset(page);
    const inSpace = this.db.selectFrom('teams').where('space_id', '=', spaceId);
    const [rows, count] = await Promise.all([
      inSpace.selectAll().orderBy('name').orderBy('id').limit(limit).offset(offset).execute(),
      inSpace.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toTeam), total: toCount(count.n) };
  }

  async create(team: Team) {
    await uniquely(
      () => this.db.insertInto('teams').values({ id: team.id, space_id: team.spaceId, name: team.name, created_at: team.createdAt }).execute(),
      'TEAM_EXISTS',
      `team '${team.name}' exists`,
    );
  }

  async rename(spaceId: Id, id: Id, name: string) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await uniquely(
      () => this.db.updateTable('teams').set({ name }).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst(),
      'TEAM_EXISTS',
      `team '${name}' exists`,
    );
    return Number(r.numUpdatedRows) > 0;
  }

  /** The foreign key (ON DELETE SET NULL) clears the team from its pipelines in the same statement. */
  async delete(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db.deleteFrom('teams').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
