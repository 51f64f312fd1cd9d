import { spaceDetailDto, spaceDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { base, created, ok } from './replies';

/** Spaces: the tenants, by slug. */
export const spaceRoutes: RouteSpec[] = [
  route({
    method: 'post',
    path: '/spaces',
    operationId: 'createSpace',
    tag: 'spaces',
    who: 'instance admin',
    summary: 'Create a space; the creator becomes its admin',
    body: B.newSpace,
    responses: { 201: { description: 'The new space', body: 'Space' } },
    errors: [400, 403, 409],
    handle: async (c, s) => {
      const space = await s.spaces.create(c.actor, { slug: c.body.slug, name: c.body.name });
      return created(spaceDto(space), `${base(c)}/spaces/${space.slug}`);
    },
  }),
  route({
    method: 'get',
    path: '/spaces',
    operationId: 'listSpaces',
    tag: 'spaces',
    who: 'anyone (members see their spaces)',
    summary: 'Spaces the caller can see, by slug',
    query: Q.page,
    responses: { 200: { description: 'A page of spaces', body: { list: 'Space' } } },
    errors: [400],
    handle: async (c, s) => list(c.query, await s.spaces.list(c.actor, pageRequest(c.query)), spaceDto),
  }),
  route({
    method: 'get',
    path: '/spaces/{slug}',
    operationId: 'getSpace',
    tag: 'spaces',
    who: 'member',
    summary: 'One space, with the role the caller acts with in it',
    responses: { 200: { description: 'The space', body: 'SpaceDetail' } },
    errors: [404],
    handle: async (c, s) => ok(spaceDetailDto(await s.spaces.getWithRole(c.actor, c.params.slug))),
  }),
];
