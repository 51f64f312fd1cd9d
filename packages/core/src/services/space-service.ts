import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import { forbidden, invalid } from '../errors';
import type { SpaceRepository } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { checkName, checkSlug, type Role, type Space } from '../space/space';
import type { SpaceAccess } from './space-access';

export class SpaceService {
  constructor(
    private readonly spaces: SpaceRepository,
    private readonly uow: UnitOfWork,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * Instance admins only; the creator becomes the space's admin, in the same unit of work as the
   * space, so a space never exists without an admin. Throws invalid | forbidden | conflict.
   */
  async create(actor: Actor, input: { slug: string; name: string }): Promise<Space> {
    if (!actor.instanceAdmin) throw forbidden('space:create');
    const now = this.clock.now();
    const space: Space = { id: this.ids.id(), slug: checkSlug(input.slug), name: checkName(input.name), createdAt: now };
    await this.uow.run(async (r) => {
      await r.spaces.create(space);
      await r.memberships.put({ spaceId: space.id, userId: actor.userId, role: 'admin', createdAt: now });
    });
    return space;
  }

  /** The spaces the actor is a member of (all of them for instance admins). */
  list(actor: Actor, page: PageRequest): Promise<Paged<Space>> {
    return this.spaces.listVisible(actor.userId, actor.instanceAdmin, page);
  }

  /**
   * The space a request without a slug in its path means: the one named, else the only space the
   * actor can see. Several (or none) and no name is invalid SPACE_REQUIRED naming `field`, so the
   * caller can say where a name goes. Throws not_found for a named space the actor cannot see.
   */
  async chosen(actor: Actor, slug: string | undefined, field: string): Promise<Space> {
    if (slug !== undefined) return this.get(actor, slug);
    const visible = await this.list(actor, { page: 1, perPage: 2 });
    if (visible.total === 1) return visible.items[0];
    throw invalid(field, visible.total === 0 ? 'you are a member of no space' : 'you can see several spaces: name one', 'SPACE_REQUIRED');
  }

  /** Throws not_found for a space the actor cannot see. */
  get(actor: Actor, slug: string): Promise<Space> {
    return this.access.resolve(actor, slug, 'space:read');
  }

  /**
   * The space with the role the actor acts with in it (what a client shows or hides): the
   * membership's role; `admin` for an instance admin, who may do everything. Throws not_found as `get`.
   */
  async getWithRole(actor: Actor, slug: string): Promise<{ space: Space; role: Role }> {
    const { space, role } = await this.access.resolveVersioned(actor, slug, 'space:read');
    return { space, role: actor.instanceAdmin ? 'admin' : (role as Role) };
  }
}
