import type { Actor } from '../access/access';
import type { Id } from '../common';
import { DomainError, forbidden } from '../errors';
import type { Role } from '../space/space';
import type { MembershipRepository } from './repositories';

export const ACTIONS = {
  'space:read': 'viewer',
  'pipeline:watch': 'viewer',
  'comment:write': 'viewer',
  'pipeline:edit': 'editor',
  'pipeline:trigger': 'editor',
  /** Create, update, restore and delete managed pipelines. */
  'pipeline:define': 'editor',
  /** Pause or resume a pipeline (in its orchestrator when synced). */
  'pipeline:pause': 'editor',
  'connector:manage': 'admin',
  'connector:sync': 'admin',
  'team:manage': 'admin',
  'member:manage': 'admin',
  'comment:moderate': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTIONS;

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/** May this principal do this action in this space. */
export interface Authorizer {
  /**
   * Resolves when allowed; `role`, when given, is the actor's role in the space as already read
   * with it (null: not a member), so that it need not be read again. Throws `not_found` (code SPACE_NOT_FOUND) when the actor is not a member,
   * so a space's existence is never revealed, and `forbidden` when the role is too low.
   */
  ensure(actor: Actor, action: Action, space: { id: Id; slug: string }, role?: Role | null): Promise<void>;
  /** Same rule, as a boolean, for a member of the space. */
  can(actor: Actor, action: Action, spaceId: Id): Promise<boolean>;
}

/** Role rules of the product: viewer < editor < admin; instance admins may do everything. */
export class RoleAuthorizer implements Authorizer {
  constructor(private readonly memberships: MembershipRepository) {}

  async ensure(actor: Actor, action: Action, space: { id: Id; slug: string }, role?: Role | null): Promise<void> {
    if (actor.instanceAdmin) return;
    const held = role === undefined ? (await this.memberships.get(space.id, actor.userId))?.role : role;
    if (!held) throw new DomainError('not_found', 'SPACE_NOT_FOUND', `space '${space.slug}' was not found`);
    if (RANK[held] < RANK[ACTIONS[action]]) throw forbidden(action);
  }

  async can(actor: Actor, action: Action, spaceId: Id): Promise<boolean> {
    if (actor.instanceAdmin) return true;
    const m = await this.memberships.get(spaceId, actor.userId);
    return m !== undefined && RANK[m.role] >= RANK[ACTIONS[action]];
  }
}
