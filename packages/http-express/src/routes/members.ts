import { memberDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { noContent, ok } from './replies';

/** Memberships of a space: who is in it with which role. */
export const memberRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/spaces/{slug}/members',
    operationId: 'listMembers',
    tag: 'members',
    who: 'space admin',
    summary: 'Members of the space, by email',
    query: Q.page,
    responses: { 200: { description: 'A page of members', body: { list: 'Member' } } },
    errors: [400, 403, 404],
    handle: async (c, s) => list(c.query, await s.members.list(c.actor, c.params.slug, pageRequest(c.query)), memberDto),
  }),
  route({
    method: 'put',
    path: '/spaces/{slug}/members/{user_id}',
    operationId: 'putMember',
    tag: 'members',
    who: 'space admin',
    summary: "Add a member or change a member's role",
    body: B.putMember,
    responses: { 200: { description: 'The membership', body: 'Member' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => ok(memberDto(await s.members.put(c.actor, c.params.slug, c.params.user_id, c.body.role))),
  }),
  route({
    method: 'delete',
    path: '/spaces/{slug}/members/{user_id}',
    operationId: 'removeMember',
    tag: 'members',
    who: 'space admin',
    summary: 'Remove a member (a space keeps at least one admin)',
    responses: { 204: { description: 'Removed' } },
    errors: [403, 404, 409],
    handle: async (c, s) => {
      await s.members.remove(c.actor, c.params.slug, c.params.user_id);
      return noContent();
    },
  }),
];
