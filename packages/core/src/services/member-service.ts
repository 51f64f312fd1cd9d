import type { Actor, User } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { conflict, notFound } from '../errors';
import type { MembershipRepository, UserRepository } from '../ports/repositories';
import type { Clock } from '../ports/system';
import { checkRole, type Membership } from '../space/space';
import type { SpaceAccess } from './space-access';

/** Members of a space and their roles. Space admins manage them. */
export class MemberService {
  constructor(
    private readonly memberships: MembershipRepository,
    private readonly users: UserRepository,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
  ) {}

  async list(actor: Actor, slug: string, page: PageRequest): Promise<Paged<Membership & { user: User }>> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    return this.memberships.list(space.id, page);
  }

  /** Adds a member or changes the role. Throws not_found | invalid | conflict (LAST_ADMIN). */
  async put(actor: Actor, slug: string, userId: string, role: string): Promise<Membership & { user: User }> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    const checked = checkRole(role);
    const user = await this.users.get(userId);
    if (!user) throw notFound('user', userId);
    const current = await this.memberships.get(space.id, userId);
    if (current?.role === 'admin' && checked !== 'admin') await this.keepAnAdmin(space.id);
    const membership: Membership = { spaceId: space.id, userId, role: checked, createdAt: current?.createdAt ?? this.clock.now() };
    await this.memberships.put(membership);
    return { ...membership, user };
  }

  /** Throws not_found | conflict (LAST_ADMIN). */
  async remove(actor: Actor, slug: string, userId: string): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'member:manage');
    const current = await this.memberships.get(space.id, userId);
    if (!current) throw notFound('member', userId);
    if (current.role === 'admin') await this.keepAnAdmin(space.id);
    await this.memberships.delete(space.id, userId);
  }

  private async keepAnAdmin(spaceId: string) {
    if ((await this.memberships.countAdmins(spaceId)) <= 1) {
      throw conflict('LAST_ADMIN', 'a space keeps at least one admin: make another member admin first');
    }
  }
}
