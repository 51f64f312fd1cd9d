import { pageOf } from '@signalbox/core';
import { apiKeyDto, issuedKeyDto, userDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { created, date, noContent, ok } from './replies';

/** Users and their API keys: made by instance admins, and each caller's own profile and keys under `/me`. */
export const userRoutes: RouteSpec[] = [
  route({
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
  }),
  route({
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
  }),
  route({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    tag: 'me',
    who: 'anyone',
    summary: "The caller's profile",
    responses: { 200: { description: 'The caller', body: 'User' } },
    errors: [],
    handle: async (c, s) => ok(userDto(await s.access.me(c.actor))),
  }),
  route({
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
  }),
  route({
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
  }),
  route({
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
  }),
];
