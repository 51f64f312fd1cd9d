import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { MockProviderFactory } from '@signalbox/provider-mock';
import express from 'express';
import request from 'supertest';
import { apiRoutes, buildOpenApi, createApiRouter, type RateLimiter } from './index';

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

  it('passes unknown paths on to the host app when asked', async () => {
    const app = await setup(false);
    const res = await request(app).get('/pipelines-api/v1.0/nothing');
    expect(res.text).toBe('host app 404');
  });

  it('describes itself at the mount point', () => {
    const doc = buildOpenApi(apiRoutes(), { basePath: '/pipelines-api/v1.0' }) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/pipelines-api/v1.0/'))).toBe(true);
    expect(Object.keys(doc.paths)).toHaveLength(new Set(apiRoutes().map((r) => r.path)).size);
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
});
