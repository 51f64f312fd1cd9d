import type { Actor } from '../../access/access';
import { ACTIONS, type Action, type Authorizer } from '../../ports/authorizer';
import type { MembershipRepository } from '../../ports/repositories';
import type { Role } from '../../space/space';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/**
 * The product's role rules, for any Authorizer built over a membership repository: members act up
 * to their role, non-members are told the space is not found, instance admins may do everything.
 */
export function authorizerContract(name: string, make: () => Promise<{ authorizer: Authorizer; memberships: MembershipRepository }>): void {
  describe(`Authorizer contract: ${name}`, () => {
    const space = { id: 'space-1', slug: 'acme' };
    const actor = (userId: string, instanceAdmin = false): Actor => ({ userId, instanceAdmin });
    const actions = Object.keys(ACTIONS) as Action[];

    it.each(['viewer', 'editor', 'admin'] as Role[])('lets a %s do exactly the actions of its rank', async (role) => {
      const { authorizer, memberships } = await make();
      await memberships.put({ spaceId: space.id, userId: 'u1', role, createdAt: new Date() });
      for (const action of actions) {
        const allowed = RANK[role] >= RANK[ACTIONS[action]];
        expect(await authorizer.can(actor('u1'), action, space.id)).toBe(allowed);
        const outcome = await authorizer.ensure(actor('u1'), action, space).then(
          () => 'allowed',
          (e: { kind: string }) => e.kind,
        );
        expect(outcome).toBe(allowed ? 'allowed' : 'forbidden');
      }
    });

    it('tells a non-member the space is not found', async () => {
      const { authorizer, memberships } = await make();
      await memberships.put({ spaceId: 'space-2', userId: 'u1', role: 'admin', createdAt: new Date() });
      await expect(authorizer.ensure(actor('u1'), 'space:read', space)).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
      expect(await authorizer.can(actor('u1'), 'space:read', space.id)).toBe(false);
    });

    it('takes a role already read with the space as the membership, null as none', async () => {
      const { authorizer, memberships } = await make();
      await memberships.put({ spaceId: space.id, userId: 'u1', role: 'admin', createdAt: new Date() });
      // The role given wins over the stored one: it was read with the space, in the same request.
      await expect(authorizer.ensure(actor('u1'), 'connector:manage', space, 'viewer')).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(authorizer.ensure(actor('u1'), 'space:read', space, 'viewer')).resolves.toBeUndefined();
      await expect(authorizer.ensure(actor('u1'), 'space:read', space, null)).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
      await expect(authorizer.ensure(actor('u2'), 'pipeline:edit', space, 'editor')).resolves.toBeUndefined();
      await expect(authorizer.ensure(actor('root', true), 'connector:manage', space, null)).resolves.toBeUndefined();
    });

    it('lets an instance admin do everything without a membership', async () => {
      const { authorizer } = await make();
      for (const action of actions) {
        await expect(authorizer.ensure(actor('root', true), action, space)).resolves.toBeUndefined();
        expect(await authorizer.can(actor('root', true), action, space.id)).toBe(true);
      }
    });
  });
}
