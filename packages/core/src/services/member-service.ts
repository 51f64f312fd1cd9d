import type { Actor, User } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { conflict, notFound } from '../errors';
import type { MembershipRepository, Repositories, UserRepository } from '../ports/repositories';
import type { Clock } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { checkRole, type Membership } from '../space/space';
import type { SpaceAccess } from './space-access';

/** Members of a space and their roles. Space admins manage them. */
export class MemberService {
  constructor(
    private readonly memberships: MembershipRepository,
    private readonly users: UserRepository,
    private readonly uow: UnitOfWork,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
  ) {}

  async list(actor: Actor, slug: string, page: PageRequest): Promise<Paged<Membership & { user: User }>> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    return this.memberships.list(space.id, page);
  }

  /**
   * Adds a member or changes the role. The last-admin check and the write are one unit of work that
   * locks the space's admins first, so two concurrent demotions of its last two admins cannot both
   * pass. Throws not_found | invalid | conflict (LAST_ADMIN).
   */
  async put(actor: Actor, slug: string, userId: string, role: string): Promise<Membership & { user: User }> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    const checked = checkRole(role);
    const user = await this.users.get(userId);
    if (!user) throw notFound('user', userId);
    const membership = await this.uow.run(async (r) => {
      const admins = await lockAdmins(r, space.id);
      // Read after the lock: a concurrent change of this member has committed by now.
      const current = await r.memberships.get(space.id, userId);
      if (current?.role === 'admin' && checked !== 'admin') keepAnAdmin(admins);
      const m: Membership = { spaceId: space.id, userId, role: checked, createdAt: current?.createdAt ?? this.clock.now() };
      await r.memberships.put(m);
      return m;
    });
    return { ...membership, user };
  }

  /** Removes a member, in a unit of work as `put`. Throws not_found | conflict (LAST_ADMIN). */
  async remove(actor: Actor, slug: string, userId: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    await this.uow.run(async (r) => {
      const admins = await lockAdmins(r, space.id);
      const current = await r.memberships.get(space.id, userId);
      if (!current) throw notFound('member', userId);
      if (current.role === 'admin') keepAnAdmin(admins);
      await r.memberships.delete(space.id, userId);
    });
  }
}

/** Counts the space's admins and holds them until the unit of work ends. */
const lockAdmins = (r: Repositories, spaceId: string) => r.memberships.countAdmins(spaceId, { lock: true });

function keepAnAdmin(admins: number) {
  if (admins <= 1) throw conflict('LAST_ADMIN', 'a space keeps at least one admin: make another member admin first');
}
