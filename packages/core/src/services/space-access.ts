import type { Actor } from '../access/access';
import { DomainError } from '../errors';
import type { Action, Authorizer } from '../ports/authorizer';
import type { SpaceRepository } from '../ports/repositories';
import type { Space } from '../space/space';

/** Resolves a space by slug for an actor and checks the action; the first step of every space use case. */
export class SpaceAccess {
  constructor(
    private readonly spaces: SpaceRepository,
    private readonly authz: Authorizer,
  ) {}

  /** Throws not_found when the space is absent or the actor is not a member, forbidden when the role is too low. */
  async resolve(actor: Actor, slug: string, action: Action): Promise<Space> {
    const space = await this.spaces.getBySlug(slug);
    if (!space) throw new DomainError('not_found', 'SPACE_NOT_FOUND', `space '${slug}' was not found`);
    await this.authz.ensure(actor, action, space);
    return space;
  }
}
