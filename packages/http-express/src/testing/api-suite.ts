import { pipelineStatus, type Services } from '@signalbox/core';
import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../app';
import { OpenApiChecker } from './openapi-check';

/** What the suite needs of the mock provider factory (kept structural so this package does not import it). */
export interface MockControl {
  instance(
    connectorId: string,
  ):
    | { failNext(f: { status: number; message: string; times?: number }): void; setLatency(ms: number): void; removePipeline(externalId: string): void }
    | undefined;
}

export interface ApiHarness {
  services: Services;
  mock: MockControl;
  /** Moves the services' clock (for key expiry). */
  advanceClock(ms: number): void;
  close?(): Promise<void>;
}

type Role = 'outsider' | 'viewer' | 'editor' | 'admin' | 'root';
const ROLE_RANK: Record<Role, number> = { outsider: 0, viewer: 1, editor: 2, admin: 3, root: 4 };

const ROOT_KEY = 'sbx_test_root_key_0123456789abcdefghijklmnop';
const BASE = '/api/v1.0';

/**
 * The HTTP API's behaviour, end to end through `buildApp`: every endpoint's success path, bad
 * inputs, the authorization matrix and space scoping, with each response checked against the
 * served OpenAPI document. Runs against any wiring of the core (in-memory, PGlite, PostgreSQL).
 */
export function apiSuite(label: string, setup: () => Promise<ApiHarness>): void {
  describe(`HTTP API (${label})`, () => {
    jest.setTimeout(30_000);
    let h: ApiHarness;
    let app: Express;
    let openapi: OpenApiChecker;
    const keys = {} as Record<Role, string>;
    const userIds = {} as Record<Role, string>;
    const ids = {} as {
      alphaConnector: string;
      betaConnector: string;
      pipeline: string;
      pipeline2: string;
      betaPipeline: string;
      run: string;
      /** A run of `pipeline` that has finished (succeeded or failed). */
      finishedRun: string;
      taskRun: string;
      betaRun: string;
      betaTaskRun: string;
      betaTeam: string;
      betaSync: string;
      alphaSync: string;
      betaComment: string;
      spareUser: string;
    };

    /** A request with the role's key; every answer is checked against the OpenAPI document. */
    const call = async (
      role: Role | null,
      method: 'get' | 'post' | 'put' | 'patch' | 'delete',
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      let r = request(app)[method](url.startsWith('/') ? url : `${BASE}/${url}`);
      if (role) r = r.set('Authorization', `Bearer ${keys[role]}`);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      const res = body === undefined ? await r : await r.send(body as object);
      const path = url.startsWith('/') ? url : `${BASE}/${url}`;
      if (res.status >= 400) openapi.checkError(res.body);
      // Every status, errors included, must be one the document declares for the operation.
      openapi.check(method, path, res.status, res.status === 204 || res.status === 304 ? undefined : res.body);
      return res;
    };

    /** A request whose body is the text as given, with that Content-Type; checked like `call`. */
    const send = async (role: Role, method: 'post' | 'put' | 'patch', url: string, text: string, type = 'application/yaml') => {
      const path = `${BASE}/${url}`;
      const res = await request(app)[method](path).set('Authorization', `Bearer ${keys[role]}`).set('Content-Type', type).send(text);
      if (res.status >= 400) openapi.checkError(res.body);
      openapi.check(method, path, res.status, res.body);
      return res;
    };

    beforeAll(async () => {
      h = await setup();
      app = buildApp(h.services, { ready: async () => {}, bodyLimit: '16kb', syncWaitMs: 5_000 });
      openapi = new OpenApiChecker((await request(app).get('/openapi.json').expect(200)).body);
      await h.services.access.bootstrapAdminKey(ROOT_KEY);
      keys.root = ROOT_KEY;
      userIds.root = (await call('root', 'get', 'me')).body.id;

      for (const slug of ['alpha', 'beta']) expect((await call('root', 'post', 'spaces', { slug, name: `Space ${slug}` })).status).toBe(201);
      for (const role of ['outsider', 'viewer', 'editor', 'admin'] as const) {
        const user = await call('root', 'post', 'users', { email: `${role}@example.com`, name: role });
        expect(user.status).toBe(201);
        userIds[role] = user.body.id;
        const key = await call('root', 'post', `users/${user.body.id}/api-keys`, { name: 'test' });
        expect(key.status).toBe(201);
        keys[role] = key.body.key;
        if (role !== 'outsider') expect((await call('root', 'put', `spaces/alpha/members/${user.body.id}`, { role })).status).toBe(200);
      }
      ids.spareUser = (await call('root', 'post', 'users', { email: 'spare@example.com', name: 'Spare' })).body.id;

      // Seed 6 gives 8 active, 2 paused and 2 failing pipelines, so every status filter has rows.
      const mockConfig = { pipelines: 12, runs_per_pipeline: 4, seed: 6 };
      const a = await call('root', 'post', 'spaces/alpha/connectors', { name: 'mock-a', type: 'mock', config: mockConfig });
      const b = await call('root', 'post', 'spaces/beta/connectors', { name: 'mock-b', type: 'mock', config: mockConfig });
      expect([a.status, b.status]).toEqual([201, 201]);
      ids.alphaConnector = a.body.id;
      ids.betaConnector = b.body.id;
      const syncA = await call('root', 'post', `spaces/alpha/orchestration/connectors/${a.body.id}/sync?wait=true`);
      const syncB = await call('root', 'post', `spaces/beta/orchestration/connectors/${b.body.id}/sync?wait=true`);
      expect([syncA.status, syncA.body.status, syncB.status, syncB.body.status]).toEqual([200, 'succeeded', 200, 'succeeded']);
      ids.betaSync = syncB.body.id;
      ids.alphaSync = syncA.body.id;

      const pipes = (await call('root', 'get', 'spaces/alpha/orchestration/pipelines?per_page=500')).body;
      const withRuns = pipes.filter((p: any) => p.last_run_at !== null && !p.paused);
      ids.pipeline = withRuns[0].id;
      ids.pipeline2 = withRuns[1].id;
      const runs = (await call('root', 'get', `spaces/alpha/orchestration/pipelines/${ids.pipeline}/runs`)).body;
      ids.run = runs[0].id;
      ids.finishedRun = runs.find((r: any) => r.status === 'success' || r.status === 'failed').id;
      ids.taskRun = (await call('root', 'get', `spaces/alpha/orchestration/runs/${ids.run}`)).body.task_runs[0].id;

      const betaPipes = (await call('root', 'get', 'spaces/beta/orchestration/pipelines?per_page=500')).body;
      ids.betaPipeline = betaPipes.find((p: any) => p.last_run_at !== null).id;
      ids.betaRun = (await call('root', 'get', `spaces/beta/orchestration/pipelines/${ids.betaPipeline}/runs`)).body[0].id;
      ids.betaTaskRun = (await call('root', 'get', `spaces/beta/orchestration/runs/${ids.betaRun}`)).body.task_runs[0].id;
      ids.betaTeam = (await call('root', 'post', 'spaces/beta/teams', { name: 'Beta team' })).body.id;
      ids.betaComment = (await call('root', 'post', `spaces/beta/orchestration/runs/${ids.betaRun}/comments`, { body: 'beta note' })).body.id;
    }, 120_000);

    afterAll(async () => {
      await h?.close?.();
    });

    describe('documents and health', () => {
      it('serves health checks and an OpenAPI 3.1 document of every route', async () => {
        expect((await request(app).get('/health/live')).body).toEqual({ status: 'ok' });
        expect((await request(app).get('/health/ready')).body).toEqual({ status: 'ok' });
        const doc = (await request(app).get('/openapi.json')).body;
        expect(doc.openapi).toBe('3.1.0');
        expect(Object.keys(doc.paths)).toEqual(
          expect.arrayContaining([
            `${BASE}/spaces/{slug}/orchestration/pipelines`,
            `${BASE}/spaces/{slug}/orchestration/pipelines/{pipeline_id}/trigger`,
            `${BASE}/spaces/{slug}/orchestration/runs/{run_id}/cancel`,
            `${BASE}/spaces/{slug}/orchestration/runs/{run_id}/retry`,
            `${BASE}/spaces/{slug}/orchestration/connectors/{connector_id}/sync`,
            `${BASE}/spaces/{slug}/connectors/{connector_id}/syncs/{sync_id}`,
            `${BASE}/me/api-keys/{key_id}`,
            '/health/ready',
          ]),
        );
        expect(doc.paths[`${BASE}/spaces/{slug}/orchestration/comments/{comment_id}`]).toEqual(
          expect.objectContaining({ put: expect.anything(), patch: expect.anything(), delete: expect.anything() }),
        );
      });

      it('answers 503 from /health/ready when the database does not answer', async () => {
        const down = buildApp(h.services, { ready: () => Promise.reject(new Error('connection refused')) });
        const res = await request(down).get('/health/ready');
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('NOT_READY');
      });

      it('echoes a sane X-Request-Id and makes one otherwise', async () => {
        const mine = await request(app).get('/health/live').set('X-Request-Id', 'abc-123');
        expect(mine.headers['x-request-id']).toBe('abc-123');
        const made = await request(app).get('/health/live').set('X-Request-Id', 'bad id with spaces');
        expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      });
    });

    describe('authentication', () => {
      it('refuses a missing key, another scheme and an unknown key with 401 and WWW-Authenticate', async () => {
        for (const auth of [undefined, `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer sbx_unknown_key_000000000000000000']) {
          let r = request(app).get(`${BASE}/me`);
          if (auth) r = r.set('Authorization', auth);
          const res = await r;
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="signalbox"/);
          expect(['UNAUTHENTICATED', 'INVALID_API_KEY']).toContain(res.body.error.code);
          openapi.checkError(res.body);
        }
      });

      it('refuses a revoked key and an expired one', async () => {
        const issued = await call('viewer', 'post', 'me/api-keys', {
          name: 'short-lived',
          expires_at: new Date(Date.now() + 3600_000 * 24 * 365 * 10).toISOString(),
        });
        expect(issued.status).toBe(201);
        expect(issued.body.key).toMatch(/^sbx_/);
        const own = { Authorization: `Bearer ${issued.body.key}` };
        expect((await request(app).get(`${BASE}/me`).set(own)).status).toBe(200);
        const listed = await call('viewer', 'get', 'me/api-keys');
        expect(listed.body.map((k: any) => k.id)).toContain(issued.body.id);
        expect(JSON.stringify(listed.body)).not.toContain(issued.body.key);
        expect((await call('viewer', 'delete', `me/api-keys/${issued.body.id}`)).status).toBe(204);
        expect((await request(app).get(`${BASE}/me`).set(own)).status).toBe(401);
        expect((await call('viewer', 'delete', `me/api-keys/${issued.body.id}`)).status).toBe(204); // idempotent
        expect((await call('editor', 'delete', `me/api-keys/${issued.body.id}`)).status).toBe(404); // not theirs

        const expiring = await call('root', 'post', `users/${userIds.viewer}/api-keys`, {
          name: 'expiring',
          expires_at: new Date(Date.now() + 10 * 3600_000 * 24 * 365 * 20).toISOString(),
        });
        const exp = { Authorization: `Bearer ${expiring.body.key}` };
        expect((await request(app).get(`${BASE}/me`).set(exp)).status).toBe(200);
        h.advanceClock(10 * 3600_000 * 24 * 365 * 21);
        try {
          const res = await request(app).get(`${BASE}/me`).set(exp);
          expect(res.status).toBe(401);
          expect(res.body.error.code).toBe('INVALID_API_KEY');
        } finally {
          h.advanceClock(-10 * 3600_000 * 24 * 365 * 21);
        }
      });

      it('answers /me with the caller', async () => {
        const me = await call('editor', 'get', 'me');
        expect(me.body).toMatchObject({ id: userIds.editor, email: 'editor@example.com', instance_admin: false });
      });
    });

    describe('authorization matrix', () => {
      const P = 'spaces/alpha/orchestration';
      // [name, minimum role, request]
      const ops: [string, Exclude<Role, 'outsider'>, (role: Role) => Promise<request.Response>, number][] = [
        ['GET space', 'viewer', (r) => call(r, 'get', 'spaces/alpha'), 200],
        ['GET members', 'admin', (r) => call(r, 'get', 'spaces/alpha/members'), 200],
        ['PUT member', 'admin', (r) => call(r, 'put', `spaces/alpha/members/${ids.spareUser}`, { role: 'viewer' }), 200],
        ['GET teams', 'viewer', (r) => call(r, 'get', 'spaces/alpha/teams'), 200],
        ['POST team', 'admin', (r) => call(r, 'post', 'spaces/alpha/teams', { name: `team of ${r}` }), 201],
        ['GET connectors', 'viewer', (r) => call(r, 'get', 'spaces/alpha/connectors'), 200],
        ['GET connector', 'viewer', (r) => call(r, 'get', `spaces/alpha/connectors/${ids.alphaConnector}`), 200],
        ['PATCH connector', 'admin', (r) => call(r, 'patch', `spaces/alpha/connectors/${ids.alphaConnector}`, { name: 'mock-a' }), 200],
        ['POST connector check', 'admin', (r) => call(r, 'post', `spaces/alpha/connectors/${ids.alphaConnector}/check`), 200],
        ['GET syncs', 'viewer', (r) => call(r, 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs`), 200],
        ['POST sync', 'admin', (r) => call(r, 'post', `${P}/connectors/${ids.alphaConnector}/sync?wait=true`), 200],
        ['GET pipelines', 'viewer', (r) => call(r, 'get', `${P}/pipelines`), 200],
        ['GET pipeline', 'viewer', (r) => call(r, 'get', `${P}/pipelines/${ids.pipeline}`), 200],
        ['PATCH team', 'editor', (r) => call(r, 'patch', `${P}/pipelines/${ids.pipeline2}/team`, { team_id: null }), 200],
        ['PATCH criticality', 'editor', (r) => call(r, 'patch', `${P}/pipelines/${ids.pipeline2}/criticality`, { criticality: 'low' }), 200],
        ['PUT watch', 'viewer', (r) => call(r, 'put', `${P}/pipelines/${ids.pipeline2}/watch`), 204],
        ['DELETE watch', 'viewer', (r) => call(r, 'delete', `${P}/pipelines/${ids.pipeline2}/watch`), 204],
        ['POST trigger', 'editor', (r) => call(r, 'post', `${P}/pipelines/${ids.pipeline2}/trigger`, { note: `by ${r}` }), 201],
        ['GET runs', 'viewer', (r) => call(r, 'get', `${P}/pipelines/${ids.pipeline}/runs`), 200],
        ['GET run', 'viewer', (r) => call(r, 'get', `${P}/runs/${ids.run}`), 200],
        // Past the role check, a finished run cannot be canceled and a synced run takes no from_step.
        ['POST run cancel', 'editor', (r) => call(r, 'post', `${P}/runs/${ids.finishedRun}/cancel`), 409],
        ['POST run retry', 'editor', (r) => call(r, 'post', `${P}/runs/${ids.finishedRun}/retry`, { from_step: 'extract' }), 400],
        ['GET run comments', 'viewer', (r) => call(r, 'get', `${P}/runs/${ids.run}/comments`), 200],
        ['POST run comment', 'viewer', (r) => call(r, 'post', `${P}/runs/${ids.run}/comments`, { body: `from ${r}` }), 201],
        ['GET task run comments', 'viewer', (r) => call(r, 'get', `${P}/task-runs/${ids.taskRun}/comments`), 200],
        ['POST task run comment', 'viewer', (r) => call(r, 'post', `${P}/task-runs/${ids.taskRun}/comments`, { body: `from ${r}` }), 201],
        ['GET sync record', 'viewer', (r) => call(r, 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs/${ids.alphaSync}`), 200],
        ['PATCH team', 'admin', async (r) => call(r, 'patch', `spaces/alpha/teams/${await rootMakes('team')}`, { name: `renamed ${unique()}` }), 200],
        ['DELETE team', 'admin', async (r) => call(r, 'delete', `spaces/alpha/teams/${await rootMakes('team')}`), 204],
        ['POST connector', 'admin', (r) => call(r, 'post', 'spaces/alpha/connectors', { name: `c ${unique()}`, type: 'mock', config: { pipelines: 1 } }), 201],
        ['DELETE connector', 'admin', async (r) => call(r, 'delete', `spaces/alpha/connectors/${await rootMakes('connector')}`), 204],
        ['DELETE member', 'admin', async (r) => call(r, 'delete', `spaces/alpha/members/${await rootMakes('member')}`), 204],
        ['PATCH paused', 'editor', (r) => call(r, 'patch', `${P}/pipelines/${ids.pipeline2}/paused`, { paused: false }), 200],
      ];
      // Managed pipelines have their role matrix in managed-suite.ts (a space of their own, so the counts here hold).
      let n = 0;
      const unique = () => `${++n}`;
      /** A fresh resource in alpha made by the instance admin, for an operation that destroys it. */
      const rootMakes = async (what: 'team' | 'connector' | 'member'): Promise<string> => {
        if (what === 'team') return (await call('root', 'post', 'spaces/alpha/teams', { name: `doomed ${unique()}` })).body.id;
        if (what === 'connector') {
          return (await call('root', 'post', 'spaces/alpha/connectors', { name: `doomed ${unique()}`, type: 'mock', config: { pipelines: 1 } })).body.id;
        }
        const user = await call('root', 'post', 'users', { email: `doomed${unique()}@example.com`, name: 'Doomed' });
        await call('root', 'put', `spaces/alpha/members/${user.body.id}`, { role: 'viewer' });
        return user.body.id;
      };
      const roles: Role[] = ['outsider', 'viewer', 'editor', 'admin', 'root'];
      const cases = ops.flatMap(([name, min, op, success]) =>
        roles.map((role) => {
          const expected = ROLE_RANK[role] >= ROLE_RANK[min] ? success : role === 'outsider' ? 404 : 403;
          return [name, role, expected, op] as const;
        }),
      );
      it.each(cases)('%s as %s → %i', async (_name, role, expected, op) => {
        const res = await op(role);
        expect(res.status).toBe(expected);
        if (expected === 404) expect(res.body.error.code).toBe('SPACE_NOT_FOUND');
        if (expected === 403) expect(res.body.error.code).toBe('FORBIDDEN');
      });

      it('lets only instance admins create spaces, users and keys for others', async () => {
        expect((await call('admin', 'post', 'spaces', { slug: 'nope', name: 'No' })).status).toBe(403);
        expect((await call('admin', 'post', 'users', { email: 'x@example.com', name: 'X' })).status).toBe(403);
        expect((await call('admin', 'post', `users/${userIds.viewer}/api-keys`, { name: 'x' })).status).toBe(403);
      });

      it('lists for each caller only the spaces they belong to', async () => {
        expect((await call('outsider', 'get', 'spaces')).body).toEqual([]);
        expect((await call('viewer', 'get', 'spaces')).body.map((s: any) => s.slug)).toEqual(['alpha']);
        expect((await call('root', 'get', 'spaces')).body.map((s: any) => s.slug)).toEqual(expect.arrayContaining(['alpha', 'beta']));
      });

      it('reads one space with the role its caller acts with there', async () => {
        for (const who of ['viewer', 'editor', 'admin'] as const) {
          const res = await call(who, 'get', 'spaces/alpha');
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ slug: 'alpha', role: who });
        }
        expect((await call('outsider', 'get', 'spaces/alpha')).status).toBe(404);
      });
    });

    describe('space scoping: ids of another space through this space are 404', () => {
      const P = 'spaces/alpha/orchestration';
      const cases: [string, () => Promise<request.Response>, string][] = [
        ['pipeline', () => call('root', 'get', `${P}/pipelines/${ids.betaPipeline}`), 'PIPELINE_NOT_FOUND'],
        ['pipeline team', () => call('root', 'patch', `${P}/pipelines/${ids.betaPipeline}/team`, { team_id: null }), 'PIPELINE_NOT_FOUND'],
        ['pipeline criticality', () => call('root', 'patch', `${P}/pipelines/${ids.betaPipeline}/criticality`, { criticality: 'high' }), 'PIPELINE_NOT_FOUND'],
        ['watch', () => call('root', 'put', `${P}/pipelines/${ids.betaPipeline}/watch`), 'PIPELINE_NOT_FOUND'],
        ['trigger', () => call('root', 'post', `${P}/pipelines/${ids.betaPipeline}/trigger`, {}), 'PIPELINE_NOT_FOUND'],
        ['runs', () => call('root', 'get', `${P}/pipelines/${ids.betaPipeline}/runs`), 'PIPELINE_NOT_FOUND'],
        ['run', () => call('root', 'get', `${P}/runs/${ids.betaRun}`), 'RUN_NOT_FOUND'],
        ['run wait', () => call('root', 'get', `${P}/runs/${ids.betaRun}?wait_seconds=5`), 'RUN_NOT_FOUND'],
        ['run cancel', () => call('root', 'post', `${P}/runs/${ids.betaRun}/cancel`), 'RUN_NOT_FOUND'],
        ['run retry', () => call('root', 'post', `${P}/runs/${ids.betaRun}/retry`, {}), 'RUN_NOT_FOUND'],
        ['run comments', () => call('root', 'get', `${P}/runs/${ids.betaRun}/comments`), 'RUN_NOT_FOUND'],
        ['task run comments', () => call('root', 'post', `${P}/task-runs/${ids.betaTaskRun}/comments`, { body: 'x' }), 'TASK_RUN_NOT_FOUND'],
        ['comment edit', () => call('root', 'put', `${P}/comments/${ids.betaComment}`, { body: 'x' }), 'COMMENT_NOT_FOUND'],
        ['comment delete', () => call('root', 'delete', `${P}/comments/${ids.betaComment}`), 'COMMENT_NOT_FOUND'],
        ['sync', () => call('root', 'post', `${P}/connectors/${ids.betaConnector}/sync`), 'CONNECTOR_NOT_FOUND'],
        ['connector', () => call('root', 'get', `spaces/alpha/connectors/${ids.betaConnector}`), 'CONNECTOR_NOT_FOUND'],
        ['connector patch', () => call('root', 'patch', `spaces/alpha/connectors/${ids.betaConnector}`, { name: 'x' }), 'CONNECTOR_NOT_FOUND'],
        ['connector delete', () => call('root', 'delete', `spaces/alpha/connectors/${ids.betaConnector}`), 'CONNECTOR_NOT_FOUND'],
        ['syncs', () => call('root', 'get', `spaces/alpha/connectors/${ids.betaConnector}/syncs`), 'CONNECTOR_NOT_FOUND'],
        ['sync record', () => call('root', 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs/${ids.betaSync}`), 'SYNC_NOT_FOUND'],
        ['team rename', () => call('root', 'patch', `spaces/alpha/teams/${ids.betaTeam}`, { name: 'x' }), 'TEAM_NOT_FOUND'],
        ['team delete', () => call('root', 'delete', `spaces/alpha/teams/${ids.betaTeam}`), 'TEAM_NOT_FOUND'],
        ['malformed id', () => call('root', 'get', `${P}/runs/not-a-uuid`), 'RUN_NOT_FOUND'],
        ['malformed slug', () => call('root', 'get', 'spaces/NOT_A_SLUG'), 'SPACE_NOT_FOUND'],
      ];
      it.each(cases)('%s', async (_name, op, code) => {
        const res = await op();
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe(code);
      });

      it('refuses a team of another space on a pipeline with 400 naming team_id', async () => {
        const res = await call('root', 'patch', `${P}/pipelines/${ids.pipeline}/team`, { team_id: ids.betaTeam });
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'team_id' })]);
      });
    });

    describe('bad input', () => {
      const P = 'spaces/alpha/orchestration';
      const cases: [string, () => Promise<request.Response>, string, RegExp | null][] = [
        ['unknown body field', () => call('root', 'post', 'spaces', { slug: 'gamma', name: 'G', color: 'red' }), 'color', /not an accepted field/],
        ['missing body field', () => call('root', 'post', 'spaces', { slug: 'gamma' }), 'name', /required/],
        ['wrong type', () => call('root', 'post', 'spaces', { slug: 'gamma', name: 5 }), 'name', /string/],
        ['slug refused by the core', () => call('root', 'post', 'spaces', { slug: '-Gamma', name: 'G' }), 'slug', null],
        ['email format', () => call('root', 'post', 'users', { email: 'not-an-email', name: 'N' }), 'email', /email/],
        ['expires_at format', () => call('root', 'post', 'me/api-keys', { name: 'k', expires_at: 'tomorrow' }), 'expires_at', /date-time/],
        ['expires_at in the past', () => call('root', 'post', 'me/api-keys', { name: 'k', expires_at: '2000-01-01T00:00:00Z' }), 'expires_at', null],
        ['role', () => call('root', 'put', `spaces/alpha/members/${ids.spareUser}`, { role: 'owner' }), 'role', /one of/],
        ['connector type', () => call('root', 'post', 'spaces/alpha/connectors', { name: 'x', type: 'dagster', config: {} }), 'type', null],
        [
          'connector config',
          () => call('root', 'post', 'spaces/alpha/connectors', { name: 'x', type: 'mock', config: { pipelines: -1 } }),
          'config.pipelines',
          null,
        ],
        ['empty connector patch', () => call('root', 'patch', `spaces/alpha/connectors/${ids.alphaConnector}`, {}), 'body', null],
        ['criticality', () => call('root', 'patch', `${P}/pipelines/${ids.pipeline}/criticality`, { criticality: 'urgent' }), 'criticality', null],
        ['team_id format', () => call('root', 'patch', `${P}/pipelines/${ids.pipeline}/team`, { team_id: 'abc' }), 'team_id', /UUID/],
        ['team_id missing', () => call('root', 'patch', `${P}/pipelines/${ids.pipeline}/team`, {}), 'team_id', /required/],
        ['trigger conf type', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { conf: [1] }), 'conf', null],
        ['trigger logical_date', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { logical_date: 'now' }), 'logical_date', null],
        ['trigger note length', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { note: 'n'.repeat(1001) }), 'note', null],
        [
          'Idempotency-Key',
          () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, {}, { 'Idempotency-Key': 'k'.repeat(300) }),
          'Idempotency-Key',
          null,
        ],
        ['empty comment', () => call('root', 'post', `${P}/runs/${ids.run}/comments`, { body: '' }), 'body', null],
        ['blank comment', () => call('root', 'post', `${P}/runs/${ids.run}/comments`, { body: '   ' }), 'body', null],
        ['body not an object', () => call('root', 'post', 'spaces/alpha/teams', [1, 2]), 'body', null],
        ['per_page above 500', () => call('root', 'get', `${P}/pipelines?per_page=501`), 'per_page', /<= 500/],
        ['page 0', () => call('root', 'get', `${P}/pipelines?page=0`), 'page', /1/],
        ['days not a number', () => call('root', 'get', `${P}/pipelines?days=abc`), 'days', /integer/],
        ['days above 365', () => call('root', 'get', `${P}/pipelines/${ids.pipeline}?days=366`), 'days', null],
        ['pipeline status', () => call('root', 'get', `${P}/pipelines?status=broken`), 'status', /one of active, paused, error/],
        ['one pipeline status of several', () => call('root', 'get', `${P}/pipelines?status=active,broken`), 'status', /one of active, paused, error/],
        ['repeated pipeline status', () => call('root', 'get', `${P}/pipelines?status=paused&status=broken`), 'status', /one of/],
        ['empty value in a list', () => call('root', 'get', `${P}/pipelines?criticality=high,`), 'criticality', /one of low, medium, high, critical/],
        ['provider', () => call('root', 'get', `${P}/pipelines?provider=dagster`), 'provider', /one of airflow, argo, mock/],
        ['run status of several', () => call('root', 'get', `${P}/pipelines/${ids.pipeline}/runs?status=success,done`), 'status', /one of queued/],
        ['unknown query parameter', () => call('root', 'get', `${P}/pipelines?colour=red`), 'colour', /not an accepted field/],
        ['started_from format', () => call('root', 'get', `${P}/pipelines/${ids.pipeline}/runs?started_from=yesterday`), 'started_from', null],
        [
          'started_from after started_to',
          () => call('root', 'get', `${P}/pipelines/${ids.pipeline}/runs?started_from=2026-02-01T00:00:00Z&started_to=2026-01-01T00:00:00Z`),
          'started_from',
          null,
        ],
        ['run_type', () => call('root', 'get', `${P}/pipelines/${ids.pipeline}/runs?run_type=cron`), 'run_type', null],
        ['wait flag', () => call('root', 'post', `${P}/connectors/${ids.alphaConnector}/sync?wait=maybe`), 'wait', /boolean/],
        [
          'sync interval below the minimum',
          () => call('root', 'post', 'spaces/alpha/connectors', { name: 'fast', type: 'mock', config: {}, sync_interval_seconds: 5 }),
          'sync_interval_seconds',
          />= 10/,
        ],
        [
          'sync interval as text',
          () => call('root', 'patch', `spaces/alpha/connectors/${ids.alphaConnector}`, { sync_interval_seconds: '60' }),
          'sync_interval_seconds',
          null,
        ],
        [
          'sync interval fractional',
          () => call('root', 'patch', `spaces/alpha/connectors/${ids.alphaConnector}`, { sync_interval_seconds: 30.5 }),
          'sync_interval_seconds',
          null,
        ],
        ['page too large for the database', () => call('root', 'get', `${P}/pipelines?page=99999999999999999999`), 'page', /<= 1000000/],
        ['page just above the maximum', () => call('root', 'get', `${P}/runs/${ids.run}/comments?page=1000001`), 'page', /<= 1000000/],
        // PostgreSQL refuses U+0000 in text and jsonb: each of these was a 500 there.
        ['NUL in a query value', () => call('root', 'get', `${P}/pipelines?q=%00`), 'q', /NUL/],
        ['NUL in owner', () => call('root', 'get', `${P}/pipelines?owner=a%00b`), 'owner', /NUL/],
        ['NUL in a comment', () => call('root', 'post', `${P}/runs/${ids.run}/comments`, { body: 'a\u0000b' }), 'body', /NUL/],
        ['NUL in a team name', () => call('root', 'post', 'spaces/alpha/teams', { name: 'Team\u0000' }), 'name', /NUL/],
        ['NUL in a user name', () => call('root', 'post', 'users', { email: 'nul@example.com', name: '\u0000' }), 'name', /NUL/],
        ['NUL in a connector name', () => call('root', 'post', 'spaces/alpha/connectors', { name: 'm\u0000', type: 'mock', config: {} }), 'name', /NUL/],
        [
          'NUL in a connector config',
          () => call('root', 'patch', `spaces/alpha/connectors/${ids.alphaConnector}`, { config: { token: 'x\u0000' } }),
          'config.token',
          /NUL/,
        ],
        ['NUL in trigger conf', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { conf: { a: 'x\u0000y' } }), 'conf.a', /NUL/],
        [
          'NUL deep in trigger conf',
          () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { conf: { a: { b: ['ok', 'x\u0000'] } } }),
          'conf.a.b.1',
          /NUL/,
        ],
        ['NUL in a trigger conf key', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { conf: { a: { 'k\u0000': 1 } } }), 'conf.a', /NUL/],
        ['NUL in trigger note', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { note: 'hi\u0000' }), 'note', /NUL/],
        // The options of managed runs, on a synced pipeline: refused by name, even when false.
        ...(
          [
            ['full_refresh', true],
            ['dry_run', false],
            ['variables', { since: '2026-01-01' }],
            ['version_id', '00000000-0000-4000-8000-000000000001'],
            ['from_step', 'extract'],
          ] as const
        ).map(
          ([field, value]) =>
            [
              `trigger ${field} on a synced pipeline`,
              () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { [field]: value }),
              field,
              /is for managed pipelines/,
            ] as [string, () => Promise<request.Response>, string, RegExp | null],
        ),
        [
          'trigger variable of no scalar type',
          () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { variables: { x: [1] } }),
          'variables.x',
          null,
        ],
        ['trigger version_id format', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { version_id: 'v1' }), 'version_id', /UUID/],
        ['trigger empty from_step', () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { from_step: '' }), 'from_step', null],
        [
          'trigger full_refresh as text',
          () => call('root', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { full_refresh: 'yes' }),
          'full_refresh',
          /boolean/,
        ],
        ['wait_seconds above 60', () => call('root', 'get', `${P}/runs/${ids.run}?wait_seconds=61`), 'wait_seconds', /<= 60/],
        ['wait_seconds negative', () => call('root', 'get', `${P}/runs/${ids.run}?wait_seconds=-1`), 'wait_seconds', />= 0/],
        ['wait_seconds fractional', () => call('root', 'get', `${P}/runs/${ids.run}?wait_seconds=1.5`), 'wait_seconds', /integer/],
        ['wait_seconds not a number', () => call('root', 'get', `${P}/runs/${ids.run}?wait_seconds=soon`), 'wait_seconds', /integer/],
        ['changed_since not a time', () => call('root', 'get', `${P}/runs/${ids.run}?wait_seconds=1&changed_since=yesterday`), 'changed_since', /date-time/],
        [
          'sync wait_seconds above 60',
          () => call('root', 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs/${ids.alphaSync}?wait_seconds=61`),
          'wait_seconds',
          /<= 60/,
        ],
        ['retry from_step of a synced run', () => call('root', 'post', `${P}/runs/${ids.finishedRun}/retry`, { from_step: 'extract' }), 'from_step', /managed/],
        ['retry unknown body field', () => call('root', 'post', `${P}/runs/${ids.finishedRun}/retry`, { step: 'extract' }), 'step', /not an accepted field/],
        [
          'provider warehouse (no pipeline comes from one)',
          () => call('root', 'get', `${P}/pipelines?provider=warehouse`),
          'provider',
          /one of airflow, argo, mock, managed$/,
        ],
        [
          'warehouse connector without url',
          () => call('root', 'post', 'spaces/alpha/connectors', { name: 'wh', type: 'warehouse', config: {} }),
          'config.url',
          /required/,
        ],
        [
          'warehouse connector of another database',
          () => call('root', 'post', 'spaces/alpha/connectors', { name: 'wh', type: 'warehouse', config: { url: 'mysql://db.example.com/analytics' } }),
          'config.url',
          /postgres/,
        ],
        [
          'warehouse connector with an orchestrator setting',
          () =>
            call('root', 'post', 'spaces/alpha/connectors', { name: 'wh', type: 'warehouse', config: { url: 'postgres://db.example.com/a', base_url: 'x' } }),
          'config.base_url',
          null,
        ],
      ];
      it.each(cases)('%s → 400 naming the field', async (_name, op, field, reason) => {
        const res = await op();
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        if (reason) expect(res.body.error.details.find((d: any) => d.field === field).reason).toMatch(reason);
      });

      it('answers malformed JSON with 400, a body over the limit with 413, a non-JSON body with 415', async () => {
        const auth = { Authorization: `Bearer ${ROOT_KEY}` };
        const bad = await request(app).post(`${BASE}/spaces`).set(auth).set('Content-Type', 'application/json').send('{"slug": "x",');
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('MALFORMED_JSON');
        const big = await request(app)
          .post(`${BASE}/${P}/runs/${ids.run}/comments`)
          .set(auth)
          .send({ body: 'x'.repeat(20_000) });
        expect(big.status).toBe(413);
        expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        const text = await request(app).post(`${BASE}/spaces`).set(auth).set('Content-Type', 'text/plain').send('slug=x');
        expect(text.status).toBe(415);
        for (const r of [bad, big, text]) openapi.checkError(r.body);
      });

      it('answers unknown routes with a JSON 404 and wrong methods with 405', async () => {
        for (const url of ['/nope', `${BASE}/nope`, `${BASE}/spaces/alpha/orchestration/nothing`]) {
          const res = await request(app).get(url).set('Authorization', `Bearer ${ROOT_KEY}`);
          expect(res.status).toBe(404);
          expect(res.headers['content-type']).toMatch(/json/);
          expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
          openapi.checkError(res.body);
        }
        const res = await request(app).delete(`${BASE}/spaces`).set('Authorization', `Bearer ${ROOT_KEY}`);
        expect(res.status).toBe(405);
        expect(res.headers.allow).toBe('POST, GET');
      });

      it('answers an unknown query parameter on every operation with a 400 QUERY_INVALID that the document declares', async () => {
        const doc = (await request(app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
        const seen: string[] = [];
        for (const [template, ops] of Object.entries(doc.paths)) {
          if (!template.startsWith(BASE)) continue;
          const url = template.replace('{slug}', 'alpha').replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
          for (const method of Object.keys(ops) as ('get' | 'post' | 'put' | 'patch' | 'delete')[]) {
            const res = await call('root', method, `${url}?unknown_parameter=1`, method === 'get' || method === 'delete' ? undefined : {});
            expect([template, method, res.status, res.body.error?.code]).toEqual([template, method, 400, 'QUERY_INVALID']);
            seen.push(`${method} ${template}`);
          }
        }
        expect(seen.length).toBeGreaterThan(30);
      });

      it.each(['%zz', '%E0%A4%A', '%C0%AE%C0%AE', '%'])('answers a malformed percent-escape in a path parameter (%s) with 400, key or not', async (bad) => {
        for (const url of [`${BASE}/spaces/${bad}`, `${BASE}/spaces/alpha/orchestration/runs/${bad}/comments`]) {
          for (const auth of [{}, { Authorization: `Bearer ${ROOT_KEY}` }]) {
            const res = await request(app).get(url).set(auth);
            expect([res.status, res.body.error?.code]).toEqual([400, 'PATH_INVALID']);
            openapi.checkError(res.body);
          }
        }
      });

      it('refuses bodies nested deeper than 64 levels with 400 (thousands of levels within the body limit too), by any caller', async () => {
        const P2 = `${BASE}/spaces/alpha/orchestration/pipelines/${ids.pipeline}/trigger`;
        const deepObject = `{"conf":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`;
        const deepArray = `{"conf":{"a":${'['.repeat(3000)}${']'.repeat(3000)}}}`;
        for (const [role, body] of [
          ['root', deepObject],
          ['viewer', deepArray],
          ['outsider', deepObject],
        ] as const) {
          const res = await request(app).post(P2).set('Authorization', `Bearer ${keys[role]}`).set('Content-Type', 'application/json').send(body);
          expect([res.status, res.body.error?.code]).toEqual([400, 'BODY_INVALID']);
          expect(res.body.error.details[0].reason).toMatch(/deeper than 64 levels/);
        }
        // 63 levels inside `conf` (64 with the body itself) are still accepted.
        const fits = `{"conf":${'{"a":'.repeat(62)}1${'}'.repeat(62)}}`;
        const ok = await request(app).post(P2).set('Authorization', `Bearer ${ROOT_KEY}`).set('Content-Type', 'application/json').send(fits);
        expect(ok.status).toBe(201);
        const yaml = await send('root', 'post', 'spaces/alpha/teams', `name: ${'['.repeat(5000)}${']'.repeat(5000)}`);
        expect(yaml.status).toBe(400);
      });

      it('never answers 5xx for bad input, and conflicts are 409', async () => {
        expect((await call('root', 'post', 'spaces', { slug: 'alpha', name: 'again' })).status).toBe(409);
        expect((await call('root', 'post', 'users', { email: 'viewer@example.com', name: 'again' })).body.error.code).toBe('USER_EXISTS');
        expect((await call('root', 'post', 'spaces/alpha/teams', { name: 'Dup' })).status).toBe(201);
        expect((await call('root', 'post', 'spaces/alpha/teams', { name: 'dup' })).status).toBe(409);
      });
    });

    describe('bodies by content type', () => {
      const P = 'spaces/alpha/orchestration';

      it('reads YAML bodies under each YAML media type into the same schemas', async () => {
        const team = await send('admin', 'post', 'spaces/alpha/teams', 'name: YAML team\n');
        expect(team.status).toBe(201);
        expect(team.body.name).toBe('YAML team');
        const renamed = await send('admin', 'patch', `spaces/alpha/teams/${team.body.id}`, '# a comment\nname: "YAML team, renamed"\n', 'text/yaml');
        expect([renamed.status, renamed.body.name]).toEqual([200, 'YAML team, renamed']);
        const connector = await send(
          'admin',
          'post',
          'spaces/alpha/connectors',
          ['name: yaml-mock', 'type: mock', 'config:', '  pipelines: 2', '  runs_per_pipeline: 1', '  seed: 4', ''].join('\n'),
          'application/x-yaml; charset=utf-8',
        );
        expect(connector.status).toBe(201);
        expect(connector.body).toMatchObject({ name: 'yaml-mock', type: 'mock', config: { pipelines: 2, runs_per_pipeline: 1, seed: 4 } });
        const flow = await send('viewer', 'post', `${P}/runs/${ids.run}/comments`, '{body: "flow style, a: colon"}');
        expect([flow.status, flow.body.body]).toEqual([201, 'flow style, a: colon']);
        // Anchors and aliases are YAML's own; `.inf` is a YAML number JSON cannot carry.
        const trigger = await send('editor', 'post', `${P}/pipelines/${ids.pipeline2}/trigger`, 'conf:\n  a: &x [1, 2]\n  b: *x\nnote: from YAML\n');
        expect(trigger.status).toBe(201);
        expect(trigger.body).toMatchObject({ conf: { a: [1, 2], b: [1, 2] }, note: 'from YAML' });
        // Tags outside YAML's core schema make no buffers or dates: they stay the text they tag.
        const tagged = await send('editor', 'post', `${P}/pipelines/${ids.pipeline2}/trigger`, 'conf: {bin: !!binary aGk=, t: !!timestamp 2026-01-01}\n');
        expect(tagged.body.conf).toEqual({ bin: 'aGk=', t: '2026-01-01' });
      });

      it('answers a YAML syntax error, a duplicate key and several documents with 400 naming line and column', async () => {
        const cases: [string, number, number][] = [
          ['name: [unclosed\n', 2, 1],
          ['name: a\nname: b\n', 2, 1],
          ['name: a\n---\nname: b\n', 2, 1],
          ['name: a\n  bad: indent\n', 1, 7],
        ];
        for (const [text, line, column] of cases) {
          const res = await send('admin', 'post', 'spaces/alpha/teams', text);
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('MALFORMED_YAML');
          expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body', line, column })]);
          expect(res.body.error.message).toContain(`line ${line}, column ${column}`);
        }
      });

      it('names the field with its line and column when a YAML body fails its schema', async () => {
        const text = ['name: c', 'type: mock', 'config:', '  pipelines: 2', 'colour: red', 'extra:', '  - 1', ''].join('\n');
        const res = await send('admin', 'post', 'spaces/alpha/connectors', text);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('BODY_INVALID');
        expect(res.body.error.details).toEqual(
          expect.arrayContaining([
            { field: 'colour', reason: 'is not an accepted field', line: 5, column: 1 },
            { field: 'extra', reason: 'is not an accepted field', line: 6, column: 1 },
          ]),
        );
        const typed = await send('admin', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, 'note: ok\nlogical_date: tomorrow\nconf:\n  deep: {x: .inf}\n');
        expect(typed.status).toBe(400);
        expect(typed.body.error.details).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ field: 'logical_date', line: 2, column: 15 }),
            expect.objectContaining({ field: 'conf.deep.x', reason: 'must be a finite number', line: 4, column: 13 }),
          ]),
        );
        const missing = await send('admin', 'post', 'spaces/alpha/teams', '# nothing but\nnmae: typo\n');
        expect(missing.body.error.details).toEqual(
          expect.arrayContaining([
            { field: 'name', reason: 'is required', line: 2, column: 1 },
            { field: 'nmae', reason: 'is not an accepted field', line: 2, column: 1 },
          ]),
        );
        const list = await send('admin', 'post', 'spaces/alpha/teams', '- name: a\n');
        expect(list.body.error.details).toEqual([{ field: 'body', reason: 'the request body must be an object', line: 1, column: 1 }]);
        const nul = await send('admin', 'post', 'spaces/alpha/teams', 'name: "a\\0b"\n');
        expect(nul.body.error.details).toEqual([expect.objectContaining({ field: 'name', reason: expect.stringMatching(/NUL/), line: 1, column: 7 })]);
      });

      it('names the line and column of a schema error in a JSON body too', async () => {
        const res = await send('root', 'post', 'spaces', '{\n  "slug": "json-lines",\n  "name": 5,\n  "color": "red"\n}', 'application/json');
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual(
          expect.arrayContaining([
            { field: 'name', reason: 'must be string', line: 3, column: 11 },
            { field: 'color', reason: 'is not an accepted field', line: 4, column: 3 },
          ]),
        );
      });

      it('applies the body limit to YAML (413) and refuses other media types with 415', async () => {
        const big = await send('viewer', 'post', `${P}/runs/${ids.run}/comments`, `body: ${'x'.repeat(20_000)}\n`);
        expect(big.status).toBe(413);
        expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/yaml-patch']) {
          const res = await send('admin', 'post', 'spaces/alpha/teams', 'name: x', type);
          expect(res.status).toBe(415);
          expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
        }
      });

      it('documents the YAML media types of every body, and line and column in error details', async () => {
        const doc = (await request(app).get('/openapi.json')).body;
        const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p)) as any[];
        const withBody = ops.filter((op) => op.requestBody);
        expect(withBody.length).toBeGreaterThan(10);
        for (const op of withBody) {
          expect(Object.keys(op.requestBody.content)).toEqual(['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml']);
          expect(op.requestBody.content['application/yaml'].schema).toEqual(op.requestBody.content['application/json'].schema);
        }
        const params = doc.paths[`${BASE}/spaces/{slug}/orchestration/pipelines`].get.parameters;
        for (const name of ['status', 'provider', 'criticality']) {
          const param = params.find((p: any) => p.name === name);
          expect(param).toMatchObject({ in: 'query', style: 'form', explode: true, schema: { type: 'array', items: { enum: expect.any(Array) } } });
          expect(param.description).toMatch(/a,b/);
        }
        const runParams = doc.paths[`${BASE}/spaces/{slug}/orchestration/pipelines/{pipeline_id}/runs`].get.parameters;
        expect(runParams.filter((p: any) => p.explode).map((p: any) => p.name)).toEqual(['status', 'run_type']);
        const detail = doc.components.schemas.Error.properties.error.properties.details.items;
        expect(detail.properties).toMatchObject({ line: { type: 'integer' }, column: { type: 'integer' } });
        expect(detail.required).toEqual(['reason']);
      });
    });

    describe('spaces, users, members, teams', () => {
      it('creates a space with the creator as admin and reads it', async () => {
        const res = await call('root', 'post', 'spaces', { slug: 'gamma-1', name: ' Gamma ' });
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ slug: 'gamma-1', name: 'Gamma' });
        expect(res.headers.location).toBe(`${BASE}/spaces/gamma-1`);
        const members = await call('root', 'get', 'spaces/gamma-1/members');
        expect(members.body).toEqual([expect.objectContaining({ user_id: userIds.root, role: 'admin' })]);
      });

      it('manages members: add, change role, keep the last admin, remove', async () => {
        const put = await call('admin', 'put', `spaces/alpha/members/${ids.spareUser}`, { role: 'editor' });
        expect(put.body).toMatchObject({ user_id: ids.spareUser, email: 'spare@example.com', role: 'editor' });
        const list = await call('admin', 'get', 'spaces/alpha/members?per_page=2');
        const total = Number(list.headers['x-total-count']);
        expect(total).toBeGreaterThanOrEqual(5); // root (the creator), viewer, editor, admin, spare, and the matrix's
        expect(list.body).toHaveLength(2);
        const everyone = (await call('admin', 'get', 'spaces/alpha/members?per_page=500')).body;
        expect(everyone.map((m: any) => m.email)).toEqual([...everyone.map((m: any) => m.email)].sort());
        expect(everyone).toContainEqual(expect.objectContaining({ user_id: userIds.editor, role: 'editor' }));
        expect((await call('admin', 'put', `spaces/alpha/members/${'00000000-0000-4000-8000-00000000ffff'}`, { role: 'viewer' })).status).toBe(404);
        expect((await call('admin', 'delete', `spaces/alpha/members/${ids.spareUser}`)).status).toBe(204);
        expect((await call('admin', 'delete', `spaces/alpha/members/${ids.spareUser}`)).status).toBe(404);
        expect((await call('admin', 'get', 'spaces/alpha/members')).headers['x-total-count']).toBe(String(total - 1));
        const gamma = await call('root', 'post', 'spaces', { slug: 'gamma-2', name: 'G' });
        expect(gamma.status).toBe(201);
        const last = await call('root', 'delete', `spaces/gamma-2/members/${userIds.root}`);
        expect(last.status).toBe(409);
        expect(last.body.error.code).toBe('LAST_ADMIN');
      });

      it('creates, renames, lists and deletes teams, and a deleted team leaves its pipelines', async () => {
        const t = await call('admin', 'post', 'spaces/alpha/teams', { name: 'Payments' });
        expect(t.status).toBe(201);
        expect((await call('admin', 'patch', `spaces/alpha/teams/${t.body.id}`, { name: 'Payments Core' })).body.name).toBe('Payments Core');
        const set = await call('editor', 'patch', `spaces/alpha/orchestration/pipelines/${ids.pipeline}/team`, { team_id: t.body.id });
        expect(set.status).toBe(200);
        expect(set.body.team_id).toBe(t.body.id);
        const filtered = await call('viewer', 'get', `spaces/alpha/orchestration/pipelines?team_id=${t.body.id}`);
        expect(filtered.body.map((p: any) => p.id)).toEqual([ids.pipeline]);
        expect((await call('viewer', 'get', 'spaces/alpha/teams')).body.map((x: any) => x.name)).toContain('Payments Core');
        expect((await call('admin', 'delete', `spaces/alpha/teams/${t.body.id}`)).status).toBe(204);
        expect((await call('viewer', 'get', `spaces/alpha/orchestration/pipelines/${ids.pipeline}`)).body.team_id).toBeNull();
      });
    });

    describe('pipelines', () => {
      const P = 'spaces/alpha/orchestration/pipelines';

      it('pages with X-Total-Count, X-Page, X-Per-Page, X-Total-Pages and a Link header', async () => {
        const res = await call('viewer', 'get', `${P}?per_page=5&page=2&days=30`);
        expect(res.status).toBe(200);
        expect(res.body).toHaveLength(5);
        expect(res.headers['x-total-count']).toBe('12');
        expect(res.headers['x-page']).toBe('2');
        expect(res.headers['x-per-page']).toBe('5');
        expect(res.headers['x-total-pages']).toBe('3');
        const links = Object.fromEntries(
          res.headers.link.split(', ').map((l: string) => {
            const [, url, rel] = /^<([^>]+)>; rel="(\w+)"$/.exec(l)!;
            return [rel, url];
          }),
        );
        expect(Object.keys(links).sort()).toEqual(['first', 'last', 'next', 'prev']);
        expect(links.next).toBe(`${BASE}/${P}?per_page=5&page=3&days=30`);
        expect(links.prev).toContain('page=1');
        expect(links.last).toContain('page=3');
        const next = await call('viewer', 'get', links.next);
        expect(next.body).toHaveLength(2);
        expect(next.headers.link).not.toContain('rel="next"');
        const first = await call('viewer', 'get', `${P}?per_page=5`);
        expect(first.headers.link).not.toContain('rel="prev"');
        const all = await call('viewer', 'get', P);
        expect(all.headers['x-per-page']).toBe('100');
        expect(new Set([...first.body, ...res.body, ...next.body].map((p: any) => p.id)).size).toBe(12);
        expect(all.body.map((p: any) => p.name)).toEqual([...all.body.map((p: any) => p.name)].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
        const beyond = await call('viewer', 'get', `${P}?page=9`);
        expect(beyond.body).toEqual([]);
      });

      it('answers a list or a detail the caller holds with 304 and no body, until something it shows is written', async () => {
        for (const url of [`${P}?per_page=5&days=30`, `${P}/${ids.pipeline}?days=30`]) {
          const first = await call('viewer', 'get', url);
          expect(first.status).toBe(200);
          const tag = first.headers.etag;
          expect(tag).toMatch(/^W\/"[^"]+"$/);
          expect(first.headers['cache-control']).toBe('private, no-cache');
          expect(first.headers.vary).toBe('Authorization, Api-key');
          const held = await call('viewer', 'get', url, undefined, { 'If-None-Match': `"other", ${tag}` });
          expect(held.status).toBe(304);
          expect(held.text ?? '').toBe('');
          expect(held.headers.etag).toBe(tag);
          // Another reader's answer differs (`watched` is theirs): their tag is another.
          const editor = await call('editor', 'get', url, undefined, { 'If-None-Match': tag });
          expect(editor.status).toBe(200);
          expect(editor.headers.etag).not.toBe(tag);
          expect((await call('viewer', 'get', url, undefined, { 'If-None-Match': 'W/"stale"' })).status).toBe(200);
          // A write to what it shows: a full answer again, with a new tag.
          expect((await call('viewer', 'put', `${P}/${ids.pipeline}/watch`)).status).toBe(204);
          const after = await call('viewer', 'get', url, undefined, { 'If-None-Match': tag });
          expect(after.status).toBe(200);
          expect(after.headers.etag).not.toBe(tag);
          expect((await call('viewer', 'delete', `${P}/${ids.pipeline}/watch`)).status).toBe(204);
        }
        // A tag answers for its own URL only: not for another page, nor for a pipeline that does not exist.
        const listTag = (await call('viewer', 'get', `${P}?per_page=5&days=30`)).headers.etag;
        expect((await call('viewer', 'get', `${P}?per_page=5&days=30`, undefined, { 'If-None-Match': listTag })).status).toBe(304);
        expect((await call('viewer', 'get', `${P}?per_page=6&days=30`, undefined, { 'If-None-Match': listTag })).status).toBe(200);
        expect((await call('viewer', 'get', `${P}/00000000-0000-4000-8000-00000000dead`, undefined, { 'If-None-Match': listTag })).status).toBe(404);
        expect((await call('viewer', 'get', P, undefined, { 'If-None-Match': '*' })).status).toBe(304);
        // `*` holds any answer of a resource that exists (RFC 9110 §13.1.2), not one of a pipeline that does not.
        expect((await call('viewer', 'get', `${P}/${ids.pipeline}`, undefined, { 'If-None-Match': '*' })).status).toBe(304);
        expect((await call('viewer', 'get', `${P}/00000000-0000-4000-8000-00000000dead`, undefined, { 'If-None-Match': '*' })).status).toBe(404);
      });

      it('answers only the fields asked for, in the wire order, with the values of the full list; an unknown name is 400', async () => {
        const full = (await call('viewer', 'get', `${P}?days=30&per_page=5`)).body;
        for (const fields of ['summary,id,status,name', 'status&fields=id&fields=summary,name', 'watched']) {
          const res = await call('viewer', 'get', `${P}?days=30&per_page=5&fields=${fields}`);
          expect(res.status).toBe(200);
          expect(res.headers['x-total-count']).toBe('12');
          const names = fields === 'watched' ? ['watched'] : ['id', 'name', 'status', 'summary'];
          expect(res.body).toEqual(full.map((p: any) => Object.fromEntries(names.map((n) => [n, p[n]]))));
          expect(res.body.map((p: any) => Object.keys(p))).toEqual(full.map(() => names));
        }
        // Without the summary, nothing else moves: the managed pipeline's version is there as in the full list.
        const noSummary = (await call('viewer', 'get', `${P}?days=30&fields=id,current_version,watched,last_run_status`)).body;
        const all = (await call('viewer', 'get', `${P}?days=30`)).body;
        expect(noSummary).toEqual(
          all.map((p: any) => ({ id: p.id, current_version: p.current_version, watched: p.watched, last_run_status: p.last_run_status })),
        );
        // Each set of fields is its own answer: its own tag.
        const tags = new Set<string>();
        for (const url of [`${P}?per_page=5`, `${P}?per_page=5&fields=id`, `${P}?per_page=5&fields=id,name`])
          tags.add((await call('viewer', 'get', url)).headers.etag);
        expect(tags.size).toBe(3);
        for (const bad of ['id,nope', '', 'ID']) {
          const res = await call('viewer', 'get', `${P}?fields=${bad}`);
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('QUERY_INVALID');
          expect(JSON.stringify(res.body.error.details)).toContain('fields');
        }
      });

      it('has status, summary and watched in the snake_case wire format', async () => {
        const list = (await call('viewer', 'get', `${P}?days=30`)).body;
        const p = list.find((x: any) => x.id === ids.pipeline);
        expect(p).toMatchObject({ provider: 'mock', watched: false, summary: expect.objectContaining({ days: 30 }) });
        expect(['active', 'paused', 'error']).toContain(p.status);
        expect(p.summary.runs).toBeGreaterThan(0);
        for (const x of list) {
          expect(x.status).toBe(pipelineStatus({ paused: x.paused, lastRunStatus: x.last_run_status }));
        }
      });

      it('filters by status, provider, q, criticality, connector and watched_only', async () => {
        const all = (await call('viewer', 'get', P)).body;
        for (const status of ['active', 'paused', 'error']) {
          const got = (await call('viewer', 'get', `${P}?status=${status}`)).body;
          expect(got.map((x: any) => x.id)).toEqual(all.filter((x: any) => x.status === status).map((x: any) => x.id));
        }
        const ids2 = (xs: any[]) => xs.map((x: any) => x.id);
        for (const [a, b] of [
          ['paused', 'error'],
          ['active', 'error'],
        ]) {
          const expected = ids2(all.filter((x: any) => x.status === a || x.status === b));
          expect(expected.length).toBeGreaterThan(0);
          expect(ids2((await call('viewer', 'get', `${P}?status=${a},${b}`)).body)).toEqual(expected);
          expect(ids2((await call('viewer', 'get', `${P}?status=${a}&status=${b}`)).body)).toEqual(expected);
          expect(ids2((await call('viewer', 'get', `${P}?status=${b}&status=${a}`)).body)).toEqual(expected);
        }
        const mixed = await call('viewer', 'get', `${P}?status=active,paused&status=error&per_page=2`);
        expect(mixed.headers['x-total-count']).toBe('12');
        expect(mixed.headers.link).toContain('status=active%2Cpaused&status=error');
        expect((await call('viewer', 'get', `${P}?provider=airflow`)).body).toEqual([]);
        expect((await call('viewer', 'get', `${P}?provider=airflow,mock`)).body).toHaveLength(12);
        expect((await call('viewer', 'get', `${P}?connector_id=${ids.alphaConnector}`)).body).toHaveLength(12);
        const target = all[3];
        const q = (await call('viewer', 'get', `${P}?q=${encodeURIComponent(target.external_id.toUpperCase())}`)).body;
        expect(q.map((x: any) => x.id)).toContain(target.id);
        const owner = (await call('viewer', 'get', `${P}?owner=${encodeURIComponent(target.owner)}`)).body;
        expect(owner.every((x: any) => x.owner === target.owner)).toBe(true);

        expect((await call('editor', 'patch', `${P}/${target.id}/criticality`, { criticality: 'critical' })).body.criticality).toBe('critical');
        expect((await call('viewer', 'get', `${P}?criticality=critical`)).body.map((x: any) => x.id)).toEqual([target.id]);
        expect((await call('editor', 'patch', `${P}/${all[5].id}/criticality`, { criticality: 'low' })).status).toBe(200);
        const now = (await call('viewer', 'get', P)).body;
        const having = (...cs: string[]) => ids2(now.filter((x: any) => cs.includes(x.criticality)));
        expect(having('critical', 'low')).toEqual(expect.arrayContaining([target.id, all[5].id]));
        expect(ids2((await call('viewer', 'get', `${P}?criticality=critical,low`)).body)).toEqual(having('critical', 'low'));
        expect(ids2((await call('viewer', 'get', `${P}?criticality=low&criticality=high`)).body)).toEqual(having('low', 'high'));
        expect((await call('editor', 'patch', `${P}/${all[5].id}/criticality`, { criticality: null })).status).toBe(200);
        expect((await call('editor', 'patch', `${P}/${target.id}/criticality`, { criticality: null })).body.criticality).toBeNull();

        expect((await call('viewer', 'put', `${P}/${target.id}/watch`)).status).toBe(204);
        expect((await call('viewer', 'put', `${P}/${target.id}/watch`)).status).toBe(204);
        const watched = (await call('viewer', 'get', `${P}?watched_only=true`)).body;
        expect(watched.map((x: any) => [x.id, x.watched])).toEqual([[target.id, true]]);
        expect((await call('editor', 'get', `${P}?watched_only=true`)).body).toEqual([]);
        expect((await call('viewer', 'get', `${P}/${target.id}`)).body.watched).toBe(true);
        expect((await call('viewer', 'delete', `${P}/${target.id}/watch`)).status).toBe(204);
        expect((await call('viewer', 'get', `${P}?watched_only=true`)).body).toEqual([]);
      });

      it('hides pipelines removed from the provider unless include_removed=true', async () => {
        expect((await call('root', 'post', 'spaces', { slug: 'removals', name: 'Removals' })).status).toBe(201);
        const c = await call('root', 'post', 'spaces/removals/connectors', {
          name: 'mock-r',
          type: 'mock',
          config: { pipelines: 3, runs_per_pipeline: 1, seed: 3 },
        });
        expect(c.status).toBe(201);
        const sync = `spaces/removals/orchestration/connectors/${c.body.id}/sync?wait=true`;
        expect((await call('root', 'post', sync)).body.status).toBe('succeeded');
        const R = 'spaces/removals/orchestration/pipelines';
        const before = (await call('root', 'get', R)).body;
        expect(before).toHaveLength(3);
        expect(before.every((p: any) => p.removed_at === null)).toBe(true);
        const gone = before[1];
        h.mock.instance(c.body.id)!.removePipeline(gone.external_id);
        expect((await call('root', 'post', sync)).body.status).toBe('succeeded');

        const listed = await call('root', 'get', R);
        expect(listed.body.map((p: any) => p.id)).toEqual(before.filter((p: any) => p.id !== gone.id).map((p: any) => p.id));
        expect(listed.headers['x-total-count']).toBe('2');
        const all = await call('root', 'get', `${R}?include_removed=true`);
        expect(all.headers['x-total-count']).toBe('3');
        const removed = all.body.find((p: any) => p.id === gone.id);
        expect(removed.removed_at).toEqual(expect.any(String));
        expect(all.body.filter((p: any) => p.id !== gone.id).every((p: any) => p.removed_at === null)).toBe(true);
        expect((await call('root', 'get', `${R}?include_removed=false`)).body).toHaveLength(2);
      });

      it('reads one pipeline with its last run', async () => {
        const res = await call('viewer', 'get', `${P}/${ids.pipeline}?days=30`);
        expect(res.body.id).toBe(ids.pipeline);
        expect(res.body.last_run).toEqual(expect.objectContaining({ pipeline_id: ids.pipeline }));
        expect(res.body.summary.days).toBe(30);
        expect((await call('viewer', 'get', `${P}/00000000-0000-4000-8000-00000000ffff`)).body.error.code).toBe('PIPELINE_NOT_FOUND');
      });
    });

    describe('runs and trigger', () => {
      const P = 'spaces/alpha/orchestration';

      it('lists runs newest first with filters and reads a run with its task runs', async () => {
        const runs = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs`)).body;
        expect(runs.length).toBeGreaterThan(0);
        const times = runs.map((r: any) => r.started_at ?? r.queued_at ?? r.logical_date);
        expect([...times].sort().reverse()).toEqual(times);
        const st = runs[0].status;
        const byStatus = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?status=${st}`)).body;
        expect(byStatus.every((r: any) => r.status === st)).toBe(true);
        const statuses = [...new Set(runs.map((r: any) => r.status))] as string[];
        const two = statuses.length > 1 ? statuses.slice(0, 2) : [statuses[0], statuses[0] === 'success' ? 'failed' : 'success'];
        const either = runs.filter((r: any) => two.includes(r.status)).map((r: any) => r.id);
        expect((await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?status=${two.join(',')}`)).body.map((r: any) => r.id)).toEqual(either);
        expect((await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?status=${two[0]}&status=${two[1]}`)).body.map((r: any) => r.id)).toEqual(
          either,
        );
        const types = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?run_type=manual,scheduled&run_type=backfill,event`)).body;
        expect(types.map((r: any) => r.id)).toEqual(runs.map((r: any) => r.id));
        expect((await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?run_type=event,backfill`)).body).toEqual(
          runs.filter((r: any) => r.run_type === 'event' || r.run_type === 'backfill'),
        );
        const from = runs[0].started_at;
        if (from) {
          const recent = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?started_from=${encodeURIComponent(from)}`)).body;
          expect(recent.map((r: any) => r.id)).toContain(runs[0].id);
        }
        const one = await call('viewer', 'get', `${P}/runs/${ids.run}`);
        expect(one.body.task_runs.length).toBeGreaterThan(0);
        expect(one.body.task_runs[0]).toEqual(expect.objectContaining({ run_id: ids.run, try_number: expect.any(Number) }));
      });

      it('triggers a run (201, visible at once); an Idempotency-Key replay returns it with 200, the key with another body is 422', async () => {
        const first = await call(
          'editor',
          'post',
          `${P}/pipelines/${ids.pipeline}/trigger`,
          { conf: { a: 1, b: { c: 2, d: 3 } }, note: 'hello', logical_date: '2026-01-15T00:00:00Z' },
          { 'Idempotency-Key': 'retry-1' },
        );
        expect(first.status).toBe(201);
        expect(first.body).toMatchObject({ pipeline_id: ids.pipeline, run_type: 'manual', conf: { a: 1 }, note: 'hello', triggered_by: userIds.editor });
        expect(first.headers.location).toBe(`${BASE}/${P}/runs/${first.body.id}`);
        // The same body, its conf keys in another order and the date in another zone: a replay.
        const again = await call(
          'editor',
          'post',
          `${P}/pipelines/${ids.pipeline}/trigger`,
          { logical_date: '2026-01-15T01:00:00+01:00', note: 'hello', conf: { b: { d: 3, c: 2 }, a: 1 } },
          { 'Idempotency-Key': 'retry-1' },
        );
        expect(again.status).toBe(200);
        expect(again.body.id).toBe(first.body.id);
        for (const body of [
          { conf: { a: 1, b: { c: 2, d: 3 } }, note: 'hello' },
          { conf: { a: 2, b: { c: 2, d: 3 } }, note: 'hello', logical_date: '2026-01-15T00:00:00Z' },
          { conf: { a: 1, b: { c: 2, d: 3 } }, note: 'bye', logical_date: '2026-01-15T00:00:00Z' },
          undefined,
        ]) {
          const reused = await call('editor', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, body, { 'Idempotency-Key': 'retry-1' });
          expect(reused.status).toBe(422);
          expect(reused.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: [{ field: 'Idempotency-Key', reason: expect.any(String) }] });
        }
        const other = await call('editor', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, undefined, { 'Idempotency-Key': 'retry-2' });
        expect(other.status).toBe(201);
        expect(other.body.id).not.toBe(first.body.id);
        const got = await call('viewer', 'get', `${P}/runs/${first.body.id}`);
        expect(got.body.external_id).toBe(first.body.external_id);
        const listed = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs?run_type=manual&per_page=500`)).body.map((r: any) => r.id);
        expect(listed).toEqual(expect.arrayContaining([first.body.id, other.body.id]));
      });

      it('answers a synced run with origin synced and every field of managed runs null, its task runs without rows, error or plan', async () => {
        const one = (await call('viewer', 'get', `${P}/runs/${ids.finishedRun}`)).body;
        expect(one).toMatchObject({
          origin: 'synced',
          connector_id: ids.alphaConnector,
          pipeline_version_id: null,
          options: null,
          progress: null,
          rows_loaded: null,
          duration_ms: null,
          engine: null,
          error: null,
          cancel_requested_at: null,
        });
        expect(one.task_runs.length).toBeGreaterThan(0);
        for (const t of one.task_runs) expect(t).toMatchObject({ rows: null, error: null, plan: null });
        const listed = (await call('viewer', 'get', `${P}/pipelines/${ids.pipeline}/runs`)).body;
        expect(listed.find((r: any) => r.id === ids.finishedRun)).toMatchObject({ origin: 'synced', options: null, progress: null });
      });

      it('waits with wait_seconds only while the run has not finished', async () => {
        let started = Date.now();
        const finished = await call('viewer', 'get', `${P}/runs/${ids.finishedRun}?wait_seconds=20`);
        expect(finished.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(5_000);
        // A triggered run stays queued here until the next sync tells otherwise: the wait runs out.
        const fresh = await call('editor', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, { note: 'waited on' });
        started = Date.now();
        const waited = await call('viewer', 'get', `${P}/runs/${fresh.body.id}?wait_seconds=1`);
        expect([waited.status, waited.body.status]).toEqual([200, 'queued']);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        started = Date.now();
        expect((await call('viewer', 'get', `${P}/runs/${fresh.body.id}?wait_seconds=0`)).body.id).toBe(fresh.body.id);
        expect(Date.now() - started).toBeLessThan(900);
        // Written after the time given: at once; not written since: the wait runs out.
        const before = new Date(Date.parse(fresh.body.updated_at) - 1).toISOString();
        started = Date.now();
        expect((await call('viewer', 'get', `${P}/runs/${fresh.body.id}?wait_seconds=20&changed_since=${before}`)).body.status).toBe('queued');
        expect(Date.now() - started).toBeLessThan(5_000);
        started = Date.now();
        await call('viewer', 'get', `${P}/runs/${fresh.body.id}?wait_seconds=1&changed_since=${fresh.body.updated_at}`);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      });

      it('refuses to cancel a finished run (409 RUN_FINISHED) and to retry a synced run that has not finished (409 RUN_NOT_FINISHED)', async () => {
        const cancel = await call('editor', 'post', `${P}/runs/${ids.finishedRun}/cancel`);
        expect([cancel.status, cancel.body.error.code]).toEqual([409, 'RUN_FINISHED']);
        const fresh = await call('editor', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, {});
        expect(fresh.body.status).toBe('queued');
        // No body at all: the retry body is optional.
        const retry = await call('editor', 'post', `${P}/runs/${fresh.body.id}/retry`);
        expect([retry.status, retry.body.error.code]).toEqual([409, 'RUN_NOT_FINISHED']);
      });

      it.each([
        [503, 503, 'PROVIDER_UNAVAILABLE'],
        [504, 504, 'PROVIDER_TIMEOUT'],
        [429, 429, 'PROVIDER_RATE_LIMITED'],
        [401, 502, 'PROVIDER_AUTH_FAILED'],
        [500, 502, 'PROVIDER_ERROR'],
      ])('keeps the orchestrator answer %i as %i with error.provider', async (providerStatus, status, code) => {
        h.mock.instance(ids.alphaConnector)!.failNext({ status: providerStatus, message: 'orchestrator says no' });
        const res = await call('editor', 'post', `${P}/pipelines/${ids.pipeline}/trigger`, {});
        expect(res.status).toBe(status);
        expect(res.body.error).toMatchObject({ code, provider: { name: 'mock', status: providerStatus, message: 'orchestrator says no' } });
      });
    });

    describe('comments', () => {
      const P = 'spaces/alpha/orchestration';
      it('threads comments on runs and task runs; authors edit, admins delete', async () => {
        const a = await call('viewer', 'post', `${P}/runs/${ids.run}/comments`, { body: 'first' });
        h.advanceClock(1000); // "oldest first" needs distinct times: ids need not be ordered
        const b = await call('editor', 'post', `${P}/runs/${ids.run}/comments`, { body: 'second' });
        expect(a.body).toMatchObject({ target_type: 'run', target_id: ids.run, author_id: userIds.viewer, body: 'first' });
        const list = (await call('viewer', 'get', `${P}/runs/${ids.run}/comments?per_page=500`)).body.map((c: any) => c.id);
        expect(list.indexOf(a.body.id)).toBeLessThan(list.indexOf(b.body.id));
        expect((await call('viewer', 'put', `${P}/comments/${a.body.id}`, { body: 'first, edited' })).body.body).toBe('first, edited');
        expect((await call('viewer', 'patch', `${P}/comments/${a.body.id}`, { body: 'first, again' })).body.body).toBe('first, again');
        const notMine = await call('editor', 'put', `${P}/comments/${a.body.id}`, { body: 'hijack' });
        expect([notMine.status, notMine.body.error.code]).toEqual([403, 'NOT_COMMENT_AUTHOR']);
        expect((await call('editor', 'delete', `${P}/comments/${a.body.id}`)).status).toBe(403);
        expect((await call('admin', 'delete', `${P}/comments/${a.body.id}`)).status).toBe(204);
        expect((await call('editor', 'delete', `${P}/comments/${b.body.id}`)).status).toBe(204);
        expect((await call('editor', 'delete', `${P}/comments/${b.body.id}`)).status).toBe(404);
        const t = await call('viewer', 'post', `${P}/task-runs/${ids.taskRun}/comments`, { body: 'on a task' });
        expect(t.body).toMatchObject({ target_type: 'task_run', target_id: ids.taskRun });
        expect((await call('viewer', 'get', `${P}/task-runs/${ids.taskRun}/comments`)).body.map((c: any) => c.id)).toContain(t.body.id);
      });
    });

    describe('connectors and syncs', () => {
      it('creates, reads, edits and deletes a connector (with everything synced from it)', async () => {
        const c = await call('admin', 'post', 'spaces/alpha/connectors', { name: 'tmp', type: 'mock', config: { pipelines: 3, runs_per_pipeline: 1 } });
        expect(c.status).toBe(201);
        expect(c.body).toMatchObject({ name: 'tmp', type: 'mock', config: { pipelines: 3, runs_per_pipeline: 1, seed: 1 }, cursor: null, last_sync_at: null });
        expect((await call('admin', 'post', 'spaces/alpha/connectors', { name: 'tmp', type: 'mock', config: {} })).status).toBe(409);
        const patched = await call('admin', 'patch', `spaces/alpha/connectors/${c.body.id}`, { name: 'tmp2', config: { seed: 5 } });
        expect(patched.body).toMatchObject({ name: 'tmp2', config: { pipelines: 3, seed: 5 } });
        const synced = await call('admin', 'post', `spaces/alpha/orchestration/connectors/${c.body.id}/sync?wait=true`);
        expect(synced.body).toMatchObject({ status: 'succeeded', counts: { pipelines: 3 } });
        const got = await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}`);
        expect(got.body).toMatchObject({ last_sync_status: 'succeeded', last_error: null });
        expect((await call('viewer', 'get', `spaces/alpha/orchestration/pipelines?connector_id=${c.body.id}`)).body).toHaveLength(3);
        expect((await call('admin', 'delete', `spaces/alpha/connectors/${c.body.id}`)).status).toBe(204);
        expect((await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}`)).status).toBe(404);
        expect((await call('viewer', 'get', `spaces/alpha/orchestration/pipelines?connector_id=${c.body.id}`)).body).toEqual([]);
      });

      it('keeps a warehouse connector’s password write-only, also one written in its URL, and has nothing to sync or check', async () => {
        const url = 'postgres://loader@db.example.com:5432/analytics';
        const c = await call('admin', 'post', 'spaces/alpha/connectors', {
          name: 'warehouse',
          type: 'warehouse',
          config: { url: 'postgres://loader:s3cr%40t@db.example.com:5432/analytics' },
        });
        expect(c.status).toBe(201);
        expect(c.body).toMatchObject({ type: 'warehouse', config: { url, password_set: true }, sync_interval_seconds: null, next_sync_at: null });
        const got = await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}`);
        expect(got.body.config).toEqual({ url, password_set: true });
        const listed = (await call('viewer', 'get', 'spaces/alpha/connectors?per_page=500')).body.find((x: any) => x.id === c.body.id);
        expect(listed.config).toEqual({ url, password_set: true });
        const renamed = await call('admin', 'patch', `spaces/alpha/connectors/${c.body.id}`, { name: 'warehouse-2' });
        expect(renamed.body).toMatchObject({ name: 'warehouse-2', config: { url, password_set: true } });
        const given = await call('admin', 'post', 'spaces/alpha/connectors', {
          name: 'warehouse-3',
          type: 'warehouse',
          config: { url: 'postgresql://reader@db.example.com/analytics', password: 'hunter2' },
        });
        expect(given.body.config).toEqual({ url: 'postgresql://reader@db.example.com/analytics', password_set: true });
        for (const body of [c.body, renamed.body, got.body, listed, given.body]) expect(JSON.stringify(body)).not.toMatch(/s3cr|hunter2/);
        const sync = await call('admin', 'post', `spaces/alpha/orchestration/connectors/${c.body.id}/sync?wait=true`);
        expect([sync.status, sync.body.error.code]).toEqual([409, 'CONNECTOR_NOT_SYNCABLE']);
        const check = await call('admin', 'post', `spaces/alpha/connectors/${c.body.id}/check`);
        expect([check.status, check.body.error.code]).toEqual([409, 'CONNECTOR_NOT_SYNCABLE']);
        expect((await call('admin', 'get', `spaces/alpha/connectors/${c.body.id}/syncs`)).body).toEqual([]);
        for (const id of [c.body.id, given.body.id]) expect((await call('admin', 'delete', `spaces/alpha/connectors/${id}`)).status).toBe(204);
      });

      it('syncs a connector by itself on its interval, shows the schedule, and stops when the interval is cleared', async () => {
        const manual = await call('admin', 'post', 'spaces/alpha/connectors', { name: 'manual', type: 'mock', config: { pipelines: 1 } });
        expect(manual.body).toMatchObject({ sync_interval_seconds: null, next_sync_at: null }); // mock: manual by default
        const c = await call('admin', 'post', 'spaces/alpha/connectors', {
          name: 'scheduled',
          type: 'mock',
          config: { pipelines: 2 },
          sync_interval_seconds: 3600,
        });
        expect(c.status).toBe(201);
        expect(c.body).toMatchObject({ sync_interval_seconds: 3600, next_sync_at: c.body.created_at }); // due at once
        let history = await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}/syncs`);
        for (let i = 0; i < 200 && !(history.body.length === 1 && history.body[0].status === 'succeeded'); i++) {
          await new Promise((r) => setTimeout(r, 50));
          history = await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}/syncs`);
        }
        expect(history.body).toMatchObject([{ status: 'succeeded', triggered_by: null, counts: { pipelines: 2 } }]);
        const synced = (await call('viewer', 'get', `spaces/alpha/connectors/${c.body.id}`)).body;
        expect(Date.parse(synced.next_sync_at) - Date.parse(synced.last_sync_at)).toBe(3600_000);
        const cleared = await call('admin', 'patch', `spaces/alpha/connectors/${c.body.id}`, { sync_interval_seconds: null });
        expect(cleared.body).toMatchObject({ sync_interval_seconds: null, next_sync_at: null });
        const again = await call('admin', 'patch', `spaces/alpha/connectors/${manual.body.id}`, { sync_interval_seconds: 60 });
        expect(again.body).toMatchObject({ sync_interval_seconds: 60, next_sync_at: expect.any(String) });
        await call('admin', 'patch', `spaces/alpha/connectors/${manual.body.id}`, { sync_interval_seconds: null });
        for (const id of [c.body.id, manual.body.id]) expect((await call('admin', 'delete', `spaces/alpha/connectors/${id}`)).status).toBe(204);
      });

      it('answers 202 at once, 409 with the running sync while it runs, and keeps a readable history', async () => {
        const mock = h.mock.instance(ids.alphaConnector)!;
        mock.setLatency(150);
        try {
          const started = await call('admin', 'post', `spaces/alpha/orchestration/connectors/${ids.alphaConnector}/sync`);
          expect(started.status).toBe(202);
          expect(started.body.status).toBe('running');
          expect(started.headers.location).toBe(`${BASE}/spaces/alpha/connectors/${ids.alphaConnector}/syncs/${started.body.id}`);
          const busy = await call('admin', 'post', `spaces/alpha/orchestration/connectors/${ids.alphaConnector}/sync?wait=true`);
          expect(busy.status).toBe(409);
          expect(busy.body.error).toMatchObject({ code: 'SYNC_RUNNING', sync: { id: started.body.id, status: 'running' } });
          // A long poll answers once the sync has ended.
          const record = (await call('viewer', 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs/${started.body.id}?wait_seconds=30`)).body;
          expect(record.status).toBe('succeeded');
          expect(record.finished_at).not.toBeNull();
        } finally {
          mock.setLatency(0);
        }
        const history = await call('viewer', 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs?per_page=2`);
        expect(history.body).toHaveLength(2);
        expect(Number(history.headers['x-total-count'])).toBeGreaterThanOrEqual(3);
      });

      it('records a failed sync with the orchestrator error and answers 200 with it when waiting', async () => {
        h.mock.instance(ids.alphaConnector)!.failNext({ status: 503, message: 'scheduler down' });
        const res = await call('admin', 'post', `spaces/alpha/orchestration/connectors/${ids.alphaConnector}/sync?wait=true`);
        expect(res.status).toBe(200);
        expect(res.body.status).toBe('failed');
        expect(res.body.error).toContain('scheduler down');
        const c = await call('viewer', 'get', `spaces/alpha/connectors/${ids.alphaConnector}`);
        expect(c.body).toMatchObject({ last_sync_status: 'failed' });
        expect((await call('viewer', 'get', 'spaces/alpha/orchestration/pipelines')).body).toHaveLength(12); // data intact
      });

      it('answers 202 with the sync as it stands when the wait runs out', async () => {
        const quick = buildApp(h.services, { ready: async () => {}, syncWaitMs: 50 });
        const mock = h.mock.instance(ids.alphaConnector)!;
        mock.setLatency(100);
        try {
          const res = await request(quick)
            .post(`${BASE}/spaces/alpha/orchestration/connectors/${ids.alphaConnector}/sync?wait=true`)
            .set('Authorization', `Bearer ${ROOT_KEY}`);
          expect(res.status).toBe(202);
          expect(res.body.status).toBe('running');
          openapi.check('post', `${BASE}/spaces/alpha/orchestration/connectors/${ids.alphaConnector}/sync`, 202, res.body);
          let status = 'running';
          for (let i = 0; i < 100 && status === 'running'; i++) {
            await new Promise((r) => setTimeout(r, 100));
            status = (await call('viewer', 'get', `spaces/alpha/connectors/${ids.alphaConnector}/syncs/${res.body.id}`)).body.status;
          }
          expect(status).toBe('succeeded');
        } finally {
          mock.setLatency(0);
        }
      });

      it('checks a connector through its provider', async () => {
        const res = await call('admin', 'post', `spaces/alpha/connectors/${ids.alphaConnector}/check`);
        expect(res.body).toEqual({ name: 'mock', version: '1.0', api_version: null });
      });
    });
  });
}
