import type { Actor } from '../access/access';
import { DomainError, notFound } from '../errors';
import type { Action, Authorizer } from '../ports/authorizer';
import type { SpaceRepository } from '../ports/repositories';
import type { Role, Space } from '../space/space';

/** Resolves a space by slug for an actor and checks the action; the first step of every space use case. */
export class SpaceAccess {
  constructor(
    private readonly spaces: SpaceRepository,
    private readonly authz: Authorizer,
  ) {}

  /** Throws not_found when the space is absent or the actor is not a member, forbidden when the role is too low. */
  async resolve(actor: Actor, slug: string, action: Action): Promise<Space> {
    return (await this.resolveVersioned(actor, slug, action)).space;
  }

  /** `resolve`, with the space's data version (`PipelineRepository.dataVersion`) and the actor's membership role (null: none) read in the same read. */
  async resolveVersioned(actor: Actor, slug: string, action: Action): Promise<{ space: Space; dataVersion: string; role: Role | null }> {
    const found = await this.spaces.getBySlugWithRole(slug, actor.userId);
    if (!found) throw new DomainError('not_found', 'SPACE_NOT_FOUND', `space '${slug}' was not found`);
    await this.authz.ensure(actor, action, found.space, found.role);
    return { space: found.space, dataVersion: found.dataVersion, role: found.role };
  }

  /**
   * `resolveVersioned` from the answer the repository keeps (`keptBySlugWithRole`), with
   * no read; undefined when it keeps none, or when that answer does not allow the action (the
   * caller then resolves as usual, which reads and throws). Only an answer that tells the caller
   * that what it already holds is still current (a 304) may rest on it.
   */
  async keptVersioned(actor: Actor, slug: string, action: Action): Promise<{ space: Space; dataVersion: string } | undefined> {
    const found = this.spaces.keptBySlugWithRole?.(slug, actor.userId);
    if (!found) return undefined;
    try {
      await this.authz.ensure(actor, action, found.space, found.role);
    } catch (err) {
      if (err instanceof DomainError) return undefined;
      throw err;
    }
    return found;
  }

  /**
   * The space of a pipeline addressed by its id alone, found among the actor's spaces in one query,
   * then the action checked. Throws not_found (PIPELINE_NOT_FOUND) when the pipeline is absent or
   * in a space the actor cannot see, forbidden when the role is too low.
   */
  async resolvePipeline(actor: Actor, pipelineId: string, action: Action): Promise<Space> {
    const space = await this.spaces.getVisibleByPipeline(pipelineId, actor.userId, actor.instanceAdmin);
    if (!space) throw notFound('pipeline', pipelineId);
    await this.authz.ensure(actor, action, space);
    return space;
  }
}
