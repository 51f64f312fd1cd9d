import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { MockProviderFactory } from '@signalbox/provider-mock';
import express from 'express';
import request from 'supertest';
import { apiRoutes, buildApp, buildOpenApi, createApiRouter, createRateLimiter, type RateLimiter } from './index';

const KEY = 'sbx_embedding_test_key_0123456789abcdef';

describe('the router mounted by another service', () => {
  const setup = async (answerUnknownRoutes?: boolean) => {
    const clock = new FakeClock();
    const ids = new SequentialIds();
    const services = createServices({
      ...inMemoryPersistence(ids),
      registry: new ProviderRegistry().register('mock', new MockProviderFactory(clock)),
      clock,
      ids,
    });
    await services.access.bootstrapAdminKey(KEY);
    const app = express();
    app.use('/pipelines-api/v1.0', createApiRouter(services, answerUnknownRoutes === undefined ? {} : { answerUnknownRoutes }));
    app.use((_req, res) => {
      res.status(404).send('host app 404');
    });
    return app;
  };

  it('serves under its mount point, with links relative to it', async () => {
    const app = await setup();
    const auth = { Authorization: `Bearer ${KEY}` };
    expect((await request(app).post('/pipelines-api/v1.0/spaces').set(auth).send({ slug: 'team-a', name: 'A' })).status).toBe(201);
    const res = await request(app).get('/pipelines-api/v1.0/spaces?per_page=1').set(auth);
    expect(res.body.map((s: { slug: string }) => s.slug)).toEqual(['team-a']);
    expect(res.headers.link).toContain('</pipelines-api/v1.0/spaces?per_page=1&page=1>; rel="first"');
    expect((await request(app).get('/pipelines-api/v1.0/nothing').set(auth)).body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('reads YAML bodies itself, within its body limit', async () => {
    const app = await setup();
    const auth = { Authorization: `Bearer ${KEY}` };
    const created = await request(app).post('/pipelines-api/v1.0/spaces').set(auth).set('Content-Type', 'application/yaml').send('slug: team-y\nname: Y\n');
    expect(created.status).toBe(201);
    expect(created.body.slug).toBe('team-y');

    const services = createServices({
      ...inMemoryPersistence(new SequentialIds()),
      registry: new ProviderRegistry(),
      clock: new FakeClock(),
      ids: new SequentialIds(),
    });
    await services.access.bootstrapAdminKey(KEY);
    const small = express().use(createApiRouter(services, { bodyLimit: 64 }));
    const big = await request(small)
      .post('/spaces')
      .set(auth)
      .set('Content-Type', 'text/yaml')
      .send(`slug: big\nname: ${'n'.repeat(100)}\n`);
    expect([big.status, big.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const fits = await request(small).post('/spaces').set(auth).set('Content-Type', 'text/yaml').send('slug: fits\nname: F\n');
    expect(fits.status).toBe(201);
  });

  it('finds a route in any letter case and with a trailing slash, takes HEAD on a GET route, keeps the case of parameters', async () => {
    const app = await setup();
    const auth = { Authorization: `Bearer ${KEY}` };
    expect((await request(app).post('/pipelines-api/v1.0/spaces').set(auth).send({ slug: 'Team-Case', name: 'C' })).status).toBe(400);
    expect((await request(app).post('/pipelines-api/v1.0/spaces').set(auth).send({ slug: 'team-c', name: 'C' })).status).toBe(201);
    for (const path of ['/pipelines-api/v1.0/SPACES/team-c', '/pipelines-api/v1.0/spaces/team-c/', '/pipelines-api/v1.0/Spaces/team-c/members/']) {
      expect([path, (await request(app).get(path).set(auth)).status]).toEqual([path, 200]);
    }
    // The slug keeps its letters: one in capitals names no space.
    expect((await request(app).get('/pipelines-api/v1.0/spaces/TEAM-C').set(auth)).status).toBe(404);
    const head = await request(app).head('/pipelines-api/v1.0/spaces/team-c').set(auth);
    expect([head.status, head.text]).toEqual([200, undefined]);
    const wrong = await request(app).put('/pipelines-api/v1.0/spaces/team-c/teams/').set(auth);
    expect([wrong.status, wrong.headers.allow]).toEqual([405, 'GET, POST']);
    // An empty parameter names nothing: the path is the list's, whose methods are these.
    const empty = await request(app).delete('/pipelines-api/v1.0/me/api-keys/').set(auth);
    expect([empty.status, empty.headers.allow]).toEqual([405, 'GET, POST']);
    // The first route declared for the path says what is allowed, not a static segment found first.
    const validate = await request(app).patch('/pipelines-api/v1.0/spaces/team-c/orchestration/pipelines/validate').set(auth);
    expect([validate.status, validate.headers.allow]).toEqual([405, 'GET, PUT, DELETE']);
  });

  it('passes unknown paths on to the host app when asked', async () => {
    const app = await setup(false);
    const res = await request(app).get('/pipelines-api/v1.0/nothing');
    expect(res.text).toBe('host app 404');
    // A path of none of its routes is passed on even with an escape that does not decode; one of its routes is 400.
    expect((await request(app).get('/pipelines-api/v1.0/nothing%zz')).text).toBe('host app 404');
    expect((await request(app).get('/pipelines-api/v1.0/spaces/%zz')).body.error.code).toBe('PATH_INVALID');
  });

  it('describes itself at the mount point, and each dialect at its own', () => {
    const doc = buildOpenApi(apiRoutes(), { basePath: '/pipelines-api/v1.0' }) as { paths: Record<string, unknown> };
    const expected = new Set(apiRoutes().map((r) => `${r.base ?? '/pipelines-api/v1.0'}${r.path}`));
    expect(new Set(Object.keys(doc.paths))).toEqual(expected);
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/pipelines-api/v1.0/'))).toEqual([
      '/api/v1/pipelines',
      '/api/v1/pipelines/{pipeline_name}',
      '/api/v1/pipelines/{pipeline_name}/runs',
      '/api/v1/pipelines/{pipeline_name}/runs/{run_id}',
    ]);
  });

  it('serves a dialect only under its own base, each router answering its own unknown paths', async () => {
    const services = createServices({ ...inMemoryPersistence(new SequentialIds()), registry: new ProviderRegistry() });
    const app = buildApp(services, { ready: async () => {}, accessLog: false });
    const underCanonical = await request(app).get('/api/v1.0/pipelines').set('Authorization', 'Bearer nope');
    expect([underCanonical.status, underCanonical.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    const dialect = await request(app).get('/api/v1/pipelines');
    expect([dialect.status, dialect.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    const unknown = await request(app).get('/api/v1/nothing');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    const method = await request(app).patch('/api/v1/pipelines');
    expect([method.status, method.body.error.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });
});

describe('the API key in either header', () => {
  it('counts a key against one rate limit whichever header names it; a conflict counts as a failed authentication', async () => {
    const ids = new SequentialIds();
    const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
    await services.access.bootstrapAdminKey(KEY);
    const keyed: string[] = [];
    let failed = 0;
    const limits: RateLimiter = {
      address: async () => null,
      key: async (key) => {
        keyed.push(key);
        return keyed.length > 2 ? 9 : null;
      },
      failedAuthentication: async () => {
        failed += 1;
        return null;
      },
    };
    const app = express().use(createApiRouter(services, { rateLimiter: limits }));
    expect((await request(app).get('/me').set('Authorization', `Bearer ${KEY}`)).status).toBe(200);
    expect((await request(app).get('/me').set('Api-key', KEY)).status).toBe(200);
    const third = await request(app).get('/me').set('Api-key', KEY);
    expect([third.status, third.headers['retry-after']]).toEqual([429, '9']);
    expect(keyed).toEqual([KEY, KEY, KEY]);
    expect(failed).toBe(0);
    const both = await request(app).get('/me').set('Api-key', KEY).set('Authorization', 'Bearer sbx_another_key_0123456789');
    expect([both.status, both.body.error.code, failed, keyed.length]).toEqual([400, 'AMBIGUOUS_API_KEY', 1, 3]);
  });

  it('has no method for a limit that is off, so a request neither counts nor waits for it', async () => {
    const off = createRateLimiter({ perKeyPerSecond: 0, perAddressPerSecond: 0, failedAuthPerMinute: 0 });
    expect(Object.keys(off)).toEqual([]);
    const keyOnly = createRateLimiter({ perKeyPerSecond: 1, perAddressPerSecond: 0, failedAuthPerMinute: 0 });
    expect(Object.keys(keyOnly)).toEqual(['key']);
    const ids = new SequentialIds();
    const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
    await services.access.bootstrapAdminKey(KEY);
    const app = express().use(createApiRouter(services, { rateLimiter: keyOnly }));
    expect((await request(app).get('/me').set('Authorization', `Bearer ${KEY}`)).status).toBe(200);
    expect((await request(app).get('/me').set('Authorization', `Bearer ${KEY}`)).status).toBe(429);
    expect((await request(app).get('/me').set('Authorization', 'Bearer sbx_unknown_key_0123456789abcdef')).status).toBe(401);
  });
});
