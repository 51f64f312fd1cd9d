import { pageOf } from '@signalbox/core';
import { apiKeyDto, connectorCheckDto, connectorDto, issuedKeyDto, memberDto, spaceDto, syncDto, teamDto, userDto } from '../dto';
import { type Ctx, list, pageRequest, type Reply, type RouteSpec } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';

/** Everything needed to use the API from an empty database: spaces, users, keys, members, teams, connectors. */

const ok = (json: unknown): Reply => ({ status: 200, json });
const created = (json: unknown, location?: string): Reply => ({ status: 201, json, ...(location ? { headers: { Location: location } } : {}) });
const noContent = (): Reply => ({ status: 204 });
const date = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : new Date(s));
const base = (c: Ctx) => c.req.baseUrl;

export const adminRoutes: RouteSpec[] = [
  {
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
      const space = await s.spaces.create(c.actor, c.body);
      return created(spaceDto(space), `${base(c)}/spaces/${space.slug}`);
    },
  },
  {
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
  },
  {
    method: 'get',
    path: '/spaces/{slug}',
    operationId: 'getSpace',
    tag: 'spaces',
    who: 'member',
    summary: 'One space',
    responses: { 200: { description: 'The space', body: 'Space' } },
    errors: [404],
    handle: async (c, s) => ok(spaceDto(await s.spaces.get(c.actor, c.params.slug))),
  },
  {
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    tag: 'users',
    who: 'instance admin',
    summary: 'Create a user',
    body: B.newUser,
    responses: { 201: { description: 'The new user', body: 'User' } },
    errors: [400, 403, 409],
    handle: async (c, s) => {
      const user = await s.access.createUser(c.actor, { email: c.body.email, name: c.body.name, instanceAdmin: c.body.instance_admin });
      return created(userDto(user));
    },
  },
  {
    method: 'post',
    path: '/users/{user_id}/api-keys',
    operationId: 'issueApiKey',
    tag: 'users',
    who: 'instance admin',
    summary: 'Issue an API key for a user; the key is shown this once',
    body: B.newApiKey,
    responses: { 201: { description: 'The key, with the secret', body: 'IssuedApiKey' } },
    errors: [400, 403, 404],
    handle: async (c, s) =>
      created(issuedKeyDto(await s.access.issueKeyFor(c.actor, c.params.user_id, { name: c.body.name, expiresAt: date(c.body.expires_at) }))),
  },
  {
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    tag: 'me',
    who: 'anyone',
    summary: "The caller's profile",
    responses: { 200: { description: 'The caller', body: 'User' } },
    errors: [],
    handle: async (c, s) => ok(userDto(await s.access.me(c.actor))),
  },
  {
    method: 'get',
    path: '/me/api-keys',
    operationId: 'listMyApiKeys',
    tag: 'me',
    who: 'anyone',
    summary: "The caller's API keys, newest first, revoked ones included (never the secrets)",
    query: Q.page,
    responses: { 200: { description: 'A page of keys', body: { list: 'ApiKey' } } },
    errors: [400],
    handle: async (c, s) => list(c.query, pageOf(await s.access.listOwnKeys(c.actor), pageRequest(c.query)), apiKeyDto),
  },
  {
    method: 'post',
    path: '/me/api-keys',
    operationId: 'issueMyApiKey',
    tag: 'me',
    who: 'anyone',
    summary: 'Issue a key for oneself; the key is shown this once',
    body: B.newApiKey,
    responses: { 201: { description: 'The key, with the secret', body: 'IssuedApiKey' } },
    errors: [400],
    handle: async (c, s) => created(issuedKeyDto(await s.access.issueOwnKey(c.actor, { name: c.body.name, expiresAt: date(c.body.expires_at) }))),
  },
  {
    method: 'delete',
    path: '/me/api-keys/{key_id}',
    operationId: 'revokeMyApiKey',
    tag: 'me',
    who: 'anyone',
    summary: 'Revoke one of your keys (idempotent)',
    responses: { 204: { description: 'Revoked' } },
    errors: [404],
    handle: async (c, s) => {
      await s.access.revokeOwnKey(c.actor, c.params.key_id);
      return noContent();
    },
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
    method: 'post',
    path: '/spaces/{slug}/teams',
    operationId: 'createTeam',
    tag: 'teams',
    who: 'space admin',
    summary: 'Create a team',
    body: B.team,
    responses: { 201: { description: 'The new team', body: 'Team' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => created(teamDto(await s.teams.create(c.actor, c.params.slug, c.body))),
  },
  {
    method: 'patch',
    path: '/spaces/{slug}/teams/{team_id}',
    operationId: 'renameTeam',
    tag: 'teams',
    who: 'space admin',
    summary: 'Rename a team',
    body: B.team,
    responses: { 200: { description: 'The team', body: 'Team' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => ok(teamDto(await s.teams.rename(c.actor, c.params.slug, c.params.team_id, c.body))),
  },
  {
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
  },
  {
    method: 'get',
    path: '/spaces/{slug}/connectors',
    operationId: 'listConnectors',
    tag: 'connectors',
    who: 'member',
    summary: 'Connectors of the space, by name (secrets never returned)',
    query: Q.page,
    responses: { 200: { description: 'A page of connectors', body: { list: 'Connector' } } },
    errors: [400, 404],
    handle: async (c, s) => list(c.query, await s.connectors.list(c.actor, c.params.slug, pageRequest(c.query)), connectorDto),
  },
  {
    method: 'post',
    path: '/spaces/{slug}/connectors',
    operationId: 'createConnector',
    tag: 'connectors',
    who: 'space admin',
    summary:
      'Create a connector: `{name, type, config, sync_interval_seconds?}` (default 300 s for airflow, null for mock: manual only); airflow config `{base_url, api_version?, username?, password?, token?}`, mock config `{pipelines, runs_per_pipeline, seed, page_cap}`',
    body: B.newConnector,
    responses: { 201: { description: 'The new connector', body: 'Connector' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const { sync_interval_seconds: syncIntervalSeconds, ...fields } = c.body;
      const connector = await s.connectors.create(c.actor, c.params.slug, { ...fields, syncIntervalSeconds });
      return created(connectorDto(connector), `${base(c)}/spaces/${c.params.slug}/connectors/${connector.id}`);
    },
  },
  {
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'getConnector',
    tag: 'connectors',
    who: 'member',
    summary: 'One connector with its sync state',
    responses: { 200: { description: 'The connector', body: 'Connector' } },
    errors: [404],
    handle: async (c, s) => ok(connectorDto(await s.connectors.get(c.actor, c.params.slug, c.params.connector_id))),
  },
  {
    method: 'patch',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'updateConnector',
    tag: 'connectors',
    who: 'space admin',
    summary: 'Rename a connector, set its sync interval, or merge settings into its config (a key set to null is removed; secrets left out are kept)',
    body: B.patchConnector,
    responses: { 200: { description: 'The connector', body: 'Connector' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const { sync_interval_seconds: syncIntervalSeconds, ...fields } = c.body;
      return ok(connectorDto(await s.connectors.update(c.actor, c.params.slug, c.params.connector_id, { ...fields, syncIntervalSeconds })));
    },
  },
  {
    method: 'delete',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'deleteConnector',
    tag: 'connectors',
    who: 'space admin',
    summary: 'Delete a connector and everything synced from it',
    responses: { 204: { description: 'Deleted' } },
    errors: [403, 404],
    handle: async (c, s) => {
      await s.connectors.delete(c.actor, c.params.slug, c.params.connector_id);
      return noContent();
    },
  },
  {
    method: 'post',
    path: '/spaces/{slug}/connectors/{connector_id}/check',
    operationId: 'checkConnector',
    tag: 'connectors',
    who: 'space admin',
    summary: "Ask the orchestrator whether it answers and accepts the connector's credentials",
    responses: { 200: { description: 'What the orchestrator said of itself', body: 'ConnectorCheck' } },
    errors: [403, 404, 429, 502, 503, 504],
    handle: async (c, s) => ok(connectorCheckDto(await s.connectors.check(c.actor, c.params.slug, c.params.connector_id))),
  },
  {
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}/syncs',
    operationId: 'listSyncs',
    tag: 'connectors',
    who: 'member',
    summary: 'Sync history of a connector, newest first',
    query: Q.page,
    responses: { 200: { description: 'A page of syncs', body: { list: 'Sync' } } },
    errors: [400, 404],
    handle: async (c, s) => list(c.query, await s.syncs.list(c.actor, c.params.slug, c.params.connector_id, pageRequest(c.query)), syncDto),
  },
  {
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}/syncs/{sync_id}',
    operationId: 'getSync',
    tag: 'connectors',
    who: 'member',
    summary: 'One sync: status, counts, error, times',
    responses: { 200: { description: 'The sync', body: 'Sync' } },
    errors: [404],
    handle: async (c, s) => ok(syncDto(await s.syncs.get(c.actor, c.params.slug, c.params.connector_id, c.params.sync_id))),
  },
];
