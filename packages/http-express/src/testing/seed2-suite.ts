import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../app';
import type { ApiHarness } from './api-suite';
import { OpenApiChecker } from './openapi-check';

/** What the seed-2 suite needs: services whose worker runs managed runs to their end. */
export type Seed2Harness = Pick<ApiHarness, 'services' | 'close'>;

const ROOT_KEY = 'sbx_test_root_key_seed2_0123456789abcdefghijkl';
const CANONICAL = '/api/v1.0';
const V1 = '/api/v1/pipelines';
const SLUG = 'seed2';
const P = `spaces/${SLUG}/orchestration`;

type Role = 'root' | 'editor' | 'viewer' | 'multi' | 'outsider';

/** A definition in the seed-2 shape (sources, transforms, destinations), in YAML. */
const seed2Yaml = (name: string, label = '1.0') => `name: ${name}
version: "${label}"
description: Activity per user
schedule: "0 6 * * *"
variables:
  since: "2026-01-01"
sources:
  - name: events
    query: SELECT g AS user_id, 'click' AS kind FROM generate_series(1, 5) AS g
transforms:
  - name: activity
    query: SELECT user_id, count(*) AS n FROM events GROUP BY user_id
destinations:
  - name: analytics.user_activity
    from: activity
    mode: replace
`;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The seed-2 dialect over HTTP on a real wiring: the seed's examples field by field, the `{data,
 * meta}` envelope, paging limits, the space rules (header, only space, SPACE_REQUIRED), YAML and
 * JSON bodies, 404 for unknown names, and runs that are the very runs the canonical API shows.
 * Every answer is checked against the OpenAPI document.
 */
export function seed2ApiSuite(label: string, setup: () => Promise<Seed2Harness>): void {
  describe(`the seed-2 dialect (${label})`, () => {
    jest.setTimeout(60_000);
    let h: Seed2Harness;
    let app: Express;
    let openapi: OpenApiChecker;
    const keys = {} as Record<Role, string>;

    const check = (method: string, path: string, res: request.Response) => {
      if (res.status >= 400) openapi.checkError(res.body);
      openapi.check(method, path, res.status, res.status === 204 ? undefined : res.body);
      return res;
    };
    /** A seed-2 call: `path` under /api/v1/pipelines, a body sent as given (text with its type, or JSON). */
    const v1 = async (role: Role, method: 'get' | 'post' | 'put' | 'delete', path: string, body?: string | object, headers: Record<string, string> = {}) => {
      const url = `${V1}${path}`;
      let r = request(app)[method](url).set('Authorization', `Bearer ${keys[role]}`);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return check(method, url, body === undefined ? await r : await r.send(body));
    };
    const yaml = (role: Role, method: 'post' | 'put', path: string, text: string, headers: Record<string, string> = {}) =>
      v1(role, method, path, text, { 'Content-Type': 'application/yaml', ...headers });
    const canonical = async (role: Role, method: 'get' | 'post' | 'put', path: string, body?: object) => {
      const url = `${CANONICAL}/${path}`;
      const r = request(app)[method](url).set('Authorization', `Bearer ${keys[role]}`);
      return check(method, url, body === undefined ? await r : await r.send(body));
    };
    /** The run as the canonical API shows it once finished (polled: the wiring's clock may be fake). */
    const finished = async (runId: string) => {
      for (let i = 0; i < 600; i++) {
        const run = (await canonical('viewer', 'get', `${P}/runs/${runId}`)).body;
        if (['success', 'failed', 'canceled'].includes(run.status)) return run;
        await sleep(25);
      }
      throw new Error(`run ${runId} never finished`);
    };
    let n = 0;
    const unique = (prefix: string) => `${prefix}-${++n}`;

    beforeAll(async () => {
      h = await setup();
      app = buildApp(h.services, { ready: async () => {}, bodyLimit: '16kb' });
      openapi = new OpenApiChecker((await request(app).get('/openapi.json').expect(200)).body);
      await h.services.access.bootstrapAdminKey(ROOT_KEY);
      keys.root = ROOT_KEY;
      for (const slug of [SLUG, 'seed2-b']) await canonical('root', 'post', 'spaces', { slug, name: slug });
      for (const role of ['editor', 'viewer', 'multi', 'outsider'] as const) {
        const user = await canonical('root', 'post', 'users', { email: `s2-${role}@example.com`, name: role });
        keys[role] = (await canonical('root', 'post', `users/${user.body.id}/api-keys`, { name: 'test' })).body.key;
        if (role === 'editor' || role === 'viewer') await canonical('root', 'put', `spaces/${SLUG}/members/${user.body.id}`, { role });
        if (role === 'multi') {
          await canonical('root', 'put', `spaces/${SLUG}/members/${user.body.id}`, { role: 'editor' });
          await canonical('root', 'put', `spaces/seed2-b/members/${user.body.id}`, { role: 'editor' });
        }
        if (role === 'outsider') await canonical('root', 'put', `spaces/seed2-b/members/${user.body.id}`, { role: 'admin' });
      }
    }, 120_000);

    afterAll(async () => {
      await h?.close?.();
    });

    describe('pipelines', () => {
      it('creates from YAML in the seed-2 shape: 201 with exactly the fields of the seed', async () => {
        const res = await yaml('editor', 'post', '', seed2Yaml('created-yaml'));
        expect(res.status).toBe(201);
        expect(res.body).toEqual({
          data: { name: 'created-yaml', version: '1.0', status: 'active', schedule: '0 6 * * *', last_run: null, next_run_at: expect.stringMatching(ISO) },
        });
        // The canonical API shows the same pipeline.
        const listed = await canonical('viewer', 'get', `${P}/pipelines?origin=managed&q=created-yaml`);
        expect(listed.body).toHaveLength(1);
        expect(listed.body[0]).toMatchObject({ name: 'created-yaml', origin: 'managed', next_run_at: res.body.data.next_run_at });
        expect(listed.body[0].current_version.version).toBe('1.0');
      });

      it('creates from JSON, and a second pipeline of a taken name is 409', async () => {
        const json = JSON.stringify({
          name: 'created-json',
          version: '2',
          sources: [{ name: 'events', query: 'SELECT 1 AS user_id' }],
        });
        const res = await v1('editor', 'post', '', json, { 'Content-Type': 'application/json' });
        expect(res.status).toBe(201);
        expect(res.body.data).toMatchObject({ name: 'created-json', version: '2', schedule: null, next_run_at: null, last_run: null });
        const again = await v1('editor', 'post', '', json, { 'Content-Type': 'application/json' });
        expect([again.status, again.body.error.code]).toEqual([409, 'PIPELINE_EXISTS']);
      });

      it('answers a bad definition 400 in the canonical error shape, with line and column', async () => {
        const res = await yaml('editor', 'post', '', 'name: broken\nsources:\n  - name: e\n    query: SELEC 1\n');
        expect([res.status, res.body.error.code]).toEqual([400, 'DEFINITION_INVALID']);
        expect(res.body.error.details[0]).toMatchObject({ field: '/sources/0/query', line: 4 });
      });

      it('gets one by name in {data}; an unknown or impossible name is 404', async () => {
        const name = unique('got');
        await yaml('editor', 'post', '', seed2Yaml(name, '3.1'));
        const res = await v1('viewer', 'get', `/${name}`);
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual(['data']);
        expect(res.body.data).toEqual({
          name,
          version: '3.1',
          status: 'active',
          schedule: '0 6 * * *',
          last_run: null,
          next_run_at: expect.stringMatching(ISO),
        });
        for (const missing of ['no-such-pipeline', 'Not_A_Name']) {
          const gone = await v1('viewer', 'get', `/${missing}`);
          expect([gone.status, gone.body.error.code]).toEqual([404, 'PIPELINE_NOT_FOUND']);
        }
        expect((await v1('viewer', 'get', '/no-such-pipeline/runs')).status).toBe(404);
        expect((await v1('editor', 'post', '/no-such-pipeline/runs', {})).status).toBe(404);
      });

      it('lists in {data, meta}: per_page default 20, at most 100, over 100 is 400; page and status filter', async () => {
        const first = await v1('viewer', 'get', '');
        expect(first.status).toBe(200);
        expect(Object.keys(first.body).sort()).toEqual(['data', 'meta']);
        expect(first.body.meta).toEqual({ total: first.body.data.length, page: 1, per_page: 20 });
        for (const item of first.body.data) expect(Object.keys(item).sort()).toEqual(['last_run', 'name', 'next_run_at', 'schedule', 'status', 'version']);
        expect(first.body.data.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['created-yaml', 'created-json']));

        expect((await v1('viewer', 'get', '?per_page=100')).body.meta.per_page).toBe(100);
        for (const bad of ['per_page=101', 'per_page=0', 'page=0', 'status=sleeping', 'origin=managed']) {
          const res = await v1('viewer', 'get', `?${bad}`);
          expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'QUERY_INVALID']);
        }
        const total = first.body.meta.total;
        const second = await v1('viewer', 'get', '?page=2&per_page=1');
        expect(second.body.meta).toEqual({ total, page: 2, per_page: 1 });
        expect(second.body.data).toEqual([first.body.data[1]]);

        const paused = unique('paused');
        const created = await yaml('editor', 'post', '', seed2Yaml(paused));
        const id = (await canonical('viewer', 'get', `${P}/pipelines?origin=managed&q=${paused}`)).body[0].id;
        await request(app).patch(`${CANONICAL}/${P}/pipelines/${id}/paused`).set('Authorization', `Bearer ${keys.editor}`).send({ paused: true }).expect(200);
        expect(created.body.data.status).toBe('active');
        const onlyPaused = await v1('viewer', 'get', '?status=paused');
        expect(onlyPaused.body.data).toEqual([{ name: paused, version: '1.0', status: 'paused', schedule: '0 6 * * *', last_run: null, next_run_at: null }]);
        expect(onlyPaused.body.meta).toEqual({ total: 1, page: 1, per_page: 20 });
        expect((await v1('viewer', 'get', '?status=active')).body.data.map((p: { name: string }) => p.name)).not.toContain(paused);
      });

      it('puts: 200 when the content is unchanged, 201 with a new version when it changed', async () => {
        const name = unique('put');
        await yaml('editor', 'post', '', seed2Yaml(name));
        const same = await yaml('editor', 'put', `/${name}`, seed2Yaml(name));
        expect([same.status, same.body.data.version]).toEqual([200, '1.0']);
        const changed = await yaml('editor', 'put', `/${name}`, seed2Yaml(name, '1.1'));
        expect(changed.status).toBe(201);
        expect(changed.body).toEqual({ data: expect.objectContaining({ name, version: '1.1' }) });
        const id = (await canonical('viewer', 'get', `${P}/pipelines?origin=managed&q=${name}`)).body[0].id;
        expect((await canonical('viewer', 'get', `${P}/pipelines/${id}`)).body.current_version).toMatchObject({ number: 2, version: '1.1' });
        expect((await yaml('editor', 'put', '/no-such-pipeline', seed2Yaml('no-such-pipeline'))).status).toBe(404);
        expect((await yaml('viewer', 'put', `/${name}`, seed2Yaml(name, '9'))).status).toBe(403);
      });

      it('deletes with the whole history: 204, then 404 in both dialects', async () => {
        const name = unique('deleted');
        await yaml('editor', 'post', '', seed2Yaml(name));
        const id = (await canonical('viewer', 'get', `${P}/pipelines?origin=managed&q=${name}`)).body[0].id;
        const run = (await v1('editor', 'post', `/${name}/runs`, { dry_run: true })).body.data;
        await finished(run.id);
        expect((await v1('viewer', 'delete', `/${name}`)).status).toBe(403);
        const res = await v1('editor', 'delete', `/${name}`);
        expect([res.status, res.text]).toEqual([204, '']);
        expect((await v1('viewer', 'get', `/${name}`)).status).toBe(404);
        expect((await canonical('viewer', 'get', `${P}/pipelines/${id}`)).status).toBe(404);
        expect((await canonical('viewer', 'get', `${P}/runs/${run.id}`)).status).toBe(404);
        // The name starts fresh.
        expect((await yaml('editor', 'post', '', seed2Yaml(name))).status).toBe(201);
        expect((await v1('viewer', 'get', `/${name}/runs`)).body.meta.total).toBe(0);
      });
    });

    describe('runs', () => {
      const name = 'user-analytics';
      let pipelineId: string;

      beforeAll(async () => {
        expect((await yaml('editor', 'post', '', seed2Yaml(name))).status).toBe(201);
        pipelineId = (await canonical('viewer', 'get', `${P}/pipelines?origin=managed&q=${name}`)).body[0].id;
      });

      it('takes the request of the seed as written: 201 {data: {id, pipeline, status, started_at, progress}}, the run the canonical API shows', async () => {
        const url = `${V1}/${name}/runs`;
        const res = await request(app)
          .post(url)
          .set('Authorization', `Bearer ${keys.editor}`)
          .set('Content-Type', 'application/json')
          .send('{"full_refresh": false}');
        check('post', url, res);
        expect(res.status).toBe(201);
        expect(res.body).toEqual({
          data: {
            id: expect.any(String),
            pipeline: name,
            status: expect.stringMatching(/^(queued|running|success)$/),
            started_at: res.body.data.status === 'queued' ? null : expect.stringMatching(ISO),
            progress: { stage: expect.stringMatching(/^(queued|extract|transform|load)$/), rows_processed: expect.any(Number) },
            finished_at: res.body.data.status === 'success' ? expect.stringMatching(ISO) : null,
            duration_ms: res.body.data.status === 'success' ? expect.any(Number) : null,
            rows_loaded: res.body.data.status === 'success' ? expect.any(Number) : null,
          },
        });
        const run = await finished(res.body.data.id);
        expect(run).toMatchObject({ id: res.body.data.id, pipeline_id: pipelineId, status: 'success', options: { full_refresh: false, dry_run: false } });
        expect(run.rows_loaded).toBeGreaterThan(0);

        const seen = await v1('viewer', 'get', `/${name}/runs/${run.id}`);
        expect(seen.body).toEqual({
          data: {
            id: run.id,
            pipeline: name,
            status: 'success',
            started_at: run.started_at,
            progress: { stage: run.progress.stage, rows_processed: run.progress.rows_processed },
            finished_at: run.finished_at,
            duration_ms: run.duration_ms,
            rows_loaded: run.rows_loaded,
          },
        });
        const pipeline = await v1('viewer', 'get', `/${name}`);
        expect(pipeline.body.data.last_run).toEqual({
          id: run.id,
          status: 'success',
          started_at: run.started_at,
          duration_ms: run.duration_ms,
          rows_loaded: run.rows_loaded,
        });
        expect(pipeline.body.data.status).toBe('active');
      });

      it('passes full_refresh, dry_run and variables to the trigger; an unknown variable or field is 400', async () => {
        const res = await v1('editor', 'post', `/${name}/runs`, { full_refresh: true, dry_run: true, variables: { since: '2026-02-01' } });
        expect(res.status).toBe(201);
        const run = await finished(res.body.data.id);
        expect(run.options).toMatchObject({ full_refresh: true, dry_run: true, variables: { since: '2026-02-01' } });
        const unknown = await v1('editor', 'post', `/${name}/runs`, { variables: { nope: 1 } });
        expect([unknown.status, unknown.body.error.details[0].field]).toEqual([400, 'variables.nope']);
        const extra = await v1('editor', 'post', `/${name}/runs`, { version_id: pipelineId });
        expect([extra.status, extra.body.error.code]).toEqual([400, 'BODY_INVALID']);
        expect((await v1('viewer', 'post', `/${name}/runs`, {})).status).toBe(403);
        // No body at all is a run with the defaults.
        const bare = await v1('editor', 'post', `/${name}/runs`);
        expect(bare.status).toBe(201);
        expect((await finished(bare.body.data.id)).options).toMatchObject({ full_refresh: false, dry_run: false });
      });

      it('lists runs newest first in {data, meta}, with page, per_page and limit', async () => {
        const all = await v1('viewer', 'get', `/${name}/runs`);
        expect(all.status).toBe(200);
        const canonicalRuns = (await canonical('viewer', 'get', `${P}/pipelines/${pipelineId}/runs`)).body;
        expect(all.body.meta).toEqual({ total: canonicalRuns.length, page: 1, per_page: 20 });
        expect(all.body.data.map((r: { id: string }) => r.id)).toEqual(canonicalRuns.map((r: { id: string }) => r.id));
        for (const r of all.body.data) expect(r.pipeline).toBe(name);
        const limited = await v1('viewer', 'get', `/${name}/runs?limit=1`);
        expect(limited.body).toEqual({ data: [all.body.data[0]], meta: { total: canonicalRuns.length, page: 1, per_page: 1 } });
        const second = await v1('viewer', 'get', `/${name}/runs?page=2&per_page=1`);
        expect(second.body.data).toEqual([all.body.data[1]]);
        for (const bad of ['per_page=101', 'limit=101', 'limit=0']) expect((await v1('viewer', 'get', `/${name}/runs?${bad}`)).status).toBe(400);
      });

      it('answers a run of another pipeline, or an unknown run, 404', async () => {
        const other = unique('other');
        await yaml('editor', 'post', '', seed2Yaml(other));
        const run = (await v1('editor', 'post', `/${other}/runs`, { dry_run: true })).body.data;
        await finished(run.id);
        expect((await v1('viewer', 'get', `/${other}/runs/${run.id}`)).status).toBe(200);
        const wrong = await v1('viewer', 'get', `/${name}/runs/${run.id}`);
        expect([wrong.status, wrong.body.error.code]).toEqual([404, 'RUN_NOT_FOUND']);
        expect((await v1('viewer', 'get', `/${name}/runs/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
        expect((await v1('viewer', 'get', `/${name}/runs/not-an-id`)).status).toBe(404);
      });
    });

    describe('the space', () => {
      it('is the caller’s only space without the header', async () => {
        expect((await v1('viewer', 'get', '/created-yaml')).status).toBe(200);
      });

      it('must be named by a caller who sees several: 400 SPACE_REQUIRED naming the header', async () => {
        for (const role of ['multi', 'root'] as const) {
          const res = await v1(role, 'get', '');
          expect([res.status, res.body.error.code, res.body.error.details[0].field]).toEqual([400, 'SPACE_REQUIRED', 'X-Signalbox-Space']);
          const named = await v1(role, 'get', '/created-yaml', undefined, { 'X-Signalbox-Space': SLUG });
          expect([named.status, named.body.data.name]).toEqual([200, 'created-yaml']);
        }
        const elsewhere = await v1('multi', 'get', '/created-yaml', undefined, { 'X-Signalbox-Space': 'seed2-b' });
        expect(elsewhere.status).toBe(404);
        const created = await yaml('multi', 'post', '', seed2Yaml('in-b'), { 'X-Signalbox-Space': 'seed2-b' });
        expect(created.status).toBe(201);
        expect((await v1('outsider', 'get', '/in-b')).status).toBe(200);
        expect((await v1('viewer', 'get', '/in-b')).status).toBe(404);
      });

      it('named by the header, is one the caller sees: else 404', async () => {
        for (const slug of ['seed2-b', 'no-such-space', 'Not A Slug']) {
          const res = await v1('viewer', 'get', '', undefined, { 'X-Signalbox-Space': slug });
          expect([slug, res.status, res.body.error.code]).toEqual([slug, 404, 'SPACE_NOT_FOUND']);
        }
      });

      it('needs an API key like every route', async () => {
        const res = await request(app).get(V1);
        expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      });
    });
  });
}
