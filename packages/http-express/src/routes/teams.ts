import { teamDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { created, noContent, ok } from './replies';

/** Teams of a space: the owners pipelines are assigned to. */
export const teamRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/spaces/{slug}/teams',
    operationId: 'listTeams',
    tag: 'teams',
    who: 'member',
    summary: 'Teams of the space, by name',
    query: Q.page,
    responses: { 200: { description: 'A page of teams', body: { list: 'Team' } } },
    errors: [400, 404],
    handle: async (c, s) => list(c.query, await s.teams.list(c.actor, c.params.slug, pageRequest(c.query)), teamDto),
  }),
  route({
    method: 'post',
    path: '/spaces/{slug}/teams',
    operationId: 'createTeam',
    tag: 'teams',
    who: 'space admin',
    summary: 'Create a team',
    body: B.team,
    responses: { 201: { description: 'The new team', body: 'Team' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => created(teamDto(await s.teams.create(c.actor, c.params.slug, { name: c.body.name }))),
  }),
  route({
    method: 'patch',
    path: '/spaces/{slug}/teams/{team_id}',
    operationId: 'renameTeam',
    tag: 'teams',
    who: 'space admin',
    summary: 'Rename a team',
    body: B.team,
    responses: { 200: { description: 'The team', body: 'Team' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => ok(teamDto(await s.teams.rename(c.actor, c.params.slug, c.params.team_id, { name: c.body.name }))),
  }),
  route({
    method: 'delete',
    path: '/spaces/{slug}/teams/{team_id}',
    operationId: 'deleteTeam',
    tag: 'teams',
    who: 'space admin',
    summary: 'Delete a team; its pipelines lose their team',
    responses: { 204: { description: 'Deleted' } },
    errors: [403, 404],
    handle: async (c, s) => {
      await s.teams.delete(c.actor, c.params.slug, c.params.team_id);
      return noContent();
    },
  }),
];
