import type { Id, Membership, MembershipRepository, Paged, PageRequest, Role, Space, SpaceRepository, User } from '@signalbox/core';
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { KeptSpaces } from './kept-spaces';
import { toUser } from './kysely-user-repository';
import type { MembershipsTable, Schema, SpacesTable } from './schema';
import { isUuid, limitOffset, mustDate, toCount, uniquely } from './sql-support';

const toSpace = (r: Selectable<SpacesTable>): Space => ({ id: r.id, slug: r.slug, name: r.name, createdAt: mustDate(r.created_at) });

/**
 * A space by slug with a user's role in it ($1, null for none) and its data version. Written as
 * SQL text once, since building it with the query builder cost about as much as running it, and
 * building it from a template each call was still a share of a 304.
 */
const SPACE_WITH_ROLE = `SELECT s.id, s.slug, s.name, s.created_at, m.role, v.version::text AS data_version
  FROM spaces s
  LEFT JOIN memberships m ON m.space_id = s.id AND m.user_id = $1::uuid
  LEFT JOIN space_list_state v ON v.space_id = s.id
  WHERE s.slug = $2`;

export class KyselySpaceRepository implements SpaceRepository {
  /** `kept`: where the answers of `getBySlugWithRole` are kept; only on the database itself, never in a transaction (its reads may be rolled back). */
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly kept?: KeptSpaces,
  ) {}

  async get(id: Id) {
    if (!isUuid(id)) return undefined;
    const row = await this.db.selectFrom('spaces').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSpace(row);
  }

  async getBySlug(slug: string) {
    const row = await this.db.selectFrom('spaces').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && toSpace(row);
  }

  /** Read on every request to a space (and all a 304 reads): its text is written once (`SPACE_WITH_ROLE`). */
  async getBySlugWithRole(slug: string, userId: Id) {
    const begun = this.kept?.begin();
    const { rows } = await this.db.executeQuery<Selectable<SpacesTable> & { role: Role | null; data_version: string | null }>(
      CompiledQuery.raw(SPACE_WITH_ROLE, [isUuid(userId) ? userId : null, slug]),
    );
    const row = rows[0];
    if (!row) return undefined;
    // A space always has its state row (a trigger makes it with the space); '0' as for an absent one.
    const found = { space: toSpace(row), role: row.role ?? null, dataVersion: row.data_version ?? '0' };
    if (begun !== undefined) this.kept?.keep(begun, slug, userId, found);
    return found;
  }

  keptBySlugWithRole(slug: string, userId: Id) {
    return this.kept?.get(slug, userId);
  }

  async listVisible(userId: Id, all: boolean, page: PageRequest): Promise<Paged<Space>> {
    if (!all && !isUuid(userId)) return { items: [], total: 0 };
    const visible = this.db
      .selectFrom('spaces as s')
      .$if(!all, (q) =>
        q.where(({ exists, selectFrom }) =>
          exists(selectFrom('memberships as m').select('m.user_id').whereRef('m.space_id', '=', 's.id').where('m.user_id', '=', userId)),
        ),
      );
    const { limit, offset } = limitOffset(page);
    const [rows, count] = await Promise.all([
      visible.selectAll('s').orderBy('s.slug').limit(limit).offset(offset).execute(),
      visible.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toSpace), total: toCount(count.n) };
  }

  async getVisibleByPipeline(pipelineId: Id, userId: Id, all: boolean) {
    if (!isUuid(pipelineId) || (!all && !isUuid(userId))) return undefined;
    const row = await this.db
      .selectFrom('spaces as s')
      .innerJoin('pipelines as p', 'p.space_id', 's.id')
      .where('p.id', '=', pipelineId)
      .$if(!all, (q) =>
        q.where(({ exists, selectFrom }) =>
          exists(selectFrom('memberships as m').select('m.user_id').whereRef('m.space_id', '=', 's.id').where('m.user_id', '=', userId)),
        ),
      )
      .selectAll('s')
      .executeTakeFirst();
    return row && toSpace(row);
  }

  async create(space: Space) {
    await uniquely(
      () => this.db.insertInto('spaces').values({ id: space.id, slug: space.slug, name: space.name, created_at: space.createdAt }).execute(),
      'SPACE_EXISTS',
      `space '${space.slug}' exists`,
    );
  }
}

const toMembership = (r: Selectable<MembershipsTable>): Membership => ({
  spaceId: r.space_id,
  userId: r.user_id,
  role: r.role as Role,
  createdAt: mustDate(r.created_at),
});

export class KyselyMembershipRepository implements MembershipRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(spaceId: Id, userId: Id) {
    if (!isUuid(spaceId) || !isUuid(userId)) return undefined;
    const row = await this.db.selectFrom('memberships').selectAll().where('space_id', '=', spaceId).where('user_id', '=', userId).executeTakeFirst();
    return row && toMembership(row);
  }

  async list(spaceId: Id, page: PageRequest): Promise<Paged<Membership & { user: User }>> {
    if (!isUuid(spaceId)) return { items: [], total: 0 };
    const { limit, offset } = limitOffset(page);
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .selectAll('m')
        .select(['u.email', 'u.name', 'u.instance_admin', 'u.created_at as user_created_at'])
        .where('m.space_id', '=', spaceId)
        .orderBy('u.email')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('space_id', '=', spaceId)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      total: toCount(count.n),
      items: rows.map((r) => ({
        ...toMembership(r),
        user: toUser({ id: r.user_id, email: r.email, name: r.name, instance_admin: r.instance_admin, created_at: r.user_created_at }),
      })),
    };
  }

  async put(m: Membership) {
    await this.db
      .insertInto('memberships')
      .values({ space_id: m.spaceId, user_id: m.userId, role: m.role, created_at: m.createdAt })
      .onConflict((oc) => oc.columns(['space_id', 'user_id']).doUpdateSet((eb) => ({ role: eb.ref('excluded.role') })))
      .execute();
  }

  async delete(spaceId: Id, userId: Id) {
    if (!isUuid(spaceId) || !isUuid(userId)) return false;
    const r = await this.db.deleteFrom('memberships').where('space_id', '=', spaceId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async countAdmins(spaceId: Id, opts: { lock?: boolean } = {}) {
    if (!isUuid(spaceId)) return 0;
    if (opts.lock) {
      // PostgreSQL refuses FOR UPDATE with an aggregate: lock the rows, then count them. A unit that
      // waited here re-checks each row it waited for, so an admin demoted meanwhile is not counted.
      const rows = await this.db
        .selectFrom('memberships')
        .select('user_id')
        .where('space_id', '=', spaceId)
        .where('role', '=', 'admin')
        .orderBy('user_id')
        .forUpdate()
        .execute();
      return rows.length;
    }
    const r = await this.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('space_id', '=', spaceId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return toCount(r.n);
  }
}
