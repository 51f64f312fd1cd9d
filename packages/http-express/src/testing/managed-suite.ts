import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../app';
import type { ApiHarness } from './api-suite';
import { OpenApiChecker } from './openapi-check';

/** The API harness, and where it can, a count of every table's rows (to show a delete leaves none behind). */
export interface ManagedHarness extends ApiHarness {
  countRows?(): Promise<Record<string, number>>;
}

const ROOT_KEY = 'sbx_test_root_key_managed_0123456789abcdefghij';
const BASE = '/api/v1.0';
const P = 'spaces/mgd/orchestration';

type Role = 'root' | 'editor' | 'viewer' | 'outsider';

/** The sources shape, in YAML. */
export const SOURCES_YAML = `name: user-activity
version: "1.0"
description: Activity per user
schedule: "0 * * * *"
variables:
  since: "2026-01-01"
sources:
  - name: events
    query: |
      SELECT user_id, kind, at
      FROM app.events
      WHERE at >= :since
transforms:
  - name: activity
    query: SELECT user_id, count(*) AS n FROM events GROUP BY user_id
destinations:
  - name: analytics.user_activity
    from: activity
    mode: merge
    key: [user_id]
`;

/** The steps shape, in JSON. */
export const stepsJson = (name: string, query = 'SELECT id, total FROM app.orders', extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      name,
      schedule: '30 2 * * *',
      ...extra,
      steps: [
        {
          name: 'orders',
          config: { query_type: 'sql', query, input_datasets: [], output_datasets: ['orders'], job_type: 'extract' },
        },
        {
          name: 'daily',
          config: {
            query_type: 'sql',
            query: 'SELECT count(*) AS n FROM orders',
            input_datasets: ['orders'],
            output_datasets: ['daily'],
            job_type: 'data-transform',
          },
        },
      ],
    },
    null,
    2,
  );

/**
 * Managed pipelines over HTTP, end to end through `buildApp` on a wiring with the real definition
 * tools: create in both shapes and formats, every kind of validation error with its line and
 * column, versions (unchanged, conflicts, concurrent updates), diff, restore, delete leaving no
 * row behind, pause of both kinds, the origin filter and the role matrix; every answer checked
 * against the OpenAPI document.
 */
export function managedApiSuite(label: string, setup: () => Promise<ManagedHarness>): void {
  describe(`managed pipelines over HTTP (${label})`, () => {
    jest.setTimeout(30_000);
    let h: ManagedHarness;
    let app: Express;
    let openapi: OpenApiChecker;
    const keys = {} as Record<Role, string>;
    let connectorId: string;

    const check = (method: string, path: string, res: request.Response) => {
      if (res.status >= 400) openapi.checkError(res.body);
      if (res.status !== 413 && res.status !== 415) openapi.check(method, path, res.status, res.status === 204 ? undefined : res.body);
      return res;
    };
    const call = async (role: Role, method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const path = `${BASE}/${url}`;
      let r = request(app)[method](path).set('Authorization', `Bearer ${keys[role]}`);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return check(method, path, body === undefined ? await r : await r.send(body as object));
    };
    /** A body sent as the text given, with that Content-Type. */
    const send = async (role: Role, method: 'post' | 'put', url: string, text: string, type = 'application/yaml', headers: Record<string, string> = {}) => {
      const path = `${BASE}/${url}`;
      let r = request(app)[method](path).set('Authorization', `Bearer ${keys[role]}`).set('Content-Type', type);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return check(method, path, await r.send(text));
    };
    const create = async (text: string, type = 'application/json') => {
      const res = await send('editor', 'post', `${P}/pipelines`, text, type);
      expect(res.status).toBe(201);
      return res.body;
    };
    let n = 0;
    const unique = (prefix: string) => `${prefix}-${++n}`;

    beforeAll(async () => {
      h = await setup();
      app = buildApp(h.services, { ready: async () => {}, bodyLimit: '16kb', syncWaitMs: 5_000 });
      openapi = new OpenApiChecker((await request(app).get('/openapi.json').expect(200)).body);
      await h.services.access.bootstrapAdminKey(ROOT_KEY);
      keys.root = ROOT_KEY;
      await call('root', 'post', 'spaces', { slug: 'mgd', name: 'Managed' });
      await call('root', 'post', 'spaces', { slug: 'elsewhere', name: 'Elsewhere' });
      for (const role of ['editor', 'viewer', 'outsider'] as const) {
        const user = await call('root', 'post', 'users', { email: `m-${role}@example.com`, name: role });
        keys[role] = (await call('root', 'post', `users/${user.body.id}/api-keys`, { name: 'test' })).body.key;
        if (role !== 'outsider') await call('root', 'put', `spaces/mgd/members/${user.body.id}`, { role });
        else await call('root', 'put', `spaces/elsewhere/members/${user.body.id}`, { role: 'admin' });
      }
      const c = await call('root', 'post', 'spaces/mgd/connectors', { name: 'mock', type: 'mock', config: { pipelines: 3, runs_per_pipeline: 1, seed: 2 } });
      connectorId = c.body.id;
      const sync = await call('root', 'post', `${P}/connectors/${connectorId}/sync?wait=true`);
      expect(sync.body.status).toBe('succeeded');
    }, 120_000);

    afterAll(async () => {
      await h?.close?.();
    });

    describe('create and validate', () => {
      it('creates from YAML in the sources shape and from JSON in the steps shape', async () => {
        const yaml = await create(SOURCES_YAML, 'application/yaml');
        expect(yaml).toMatchObject({
          origin: 'managed',
          provider: 'managed',
          connector_id: null,
          engine: 'embedded',
          name: 'user-activity',
          external_id: 'user-activity',
          schedule: '0 * * * *',
          status: 'active',
          current_version: { number: 1, version: '1.0', spec_hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        });
        expect(Date.parse(yaml.next_run_at)).toBeGreaterThan(Date.now() - 60_000);
        expect(yaml.definition.steps.map((s: any) => s.name)).toEqual(['events', 'activity', 'analytics.user_activity']);
        const got = await call('viewer', 'get', `${P}/pipelines/${yaml.id}`);
        expect(got.body).toMatchObject({ current_version: yaml.current_version, definition: yaml.definition, next_run_at: yaml.next_run_at });

        const json = await create(stepsJson(unique('orders')));
        expect(json.definition.steps.map((s: any) => [s.name, s.depends_on])).toEqual([
          ['orders', []],
          ['daily', ['orders']],
        ]);
        for (const type of ['application/x-yaml', 'text/yaml']) {
          const other = await send('editor', 'post', `${P}/pipelines`, SOURCES_YAML.replace('name: user-activity', `name: ${unique('ua')}`), type);
          expect(other.status).toBe(201);
        }
        const [version] = (await call('viewer', 'get', `${P}/pipelines/${yaml.id}/versions`)).body;
        expect(version).toMatchObject({ number: 1, format: 'yaml', source: SOURCES_YAML, variables: { since: '2026-01-01' } });
      });

      it('answers every problem with its field, line and column, and stores nothing', async () => {
        const before = (await call('viewer', 'get', `${P}/pipelines?origin=managed&per_page=500`)).body.length;
        const cases: [string, string, string, Record<string, unknown>[]][] = [
          ['YAML syntax', 'application/yaml', 'name: p\nsources:\n  - name: a\n   query: x\n', [{ field: '', line: 4 }]],
          ['JSON syntax', 'application/json', '{\n  "name": "p",\n  "sources": [\n}', [{ field: '', line: 4 }]],
          [
            'SQL in a block scalar',
            'application/yaml',
            'name: p\nsources:\n  - name: a\n    query: |\n      SELECT id,\n             name\n      FORM app.users\n',
            [{ field: '/sources/0/query', line: 7, column: 12, query_line: 3, query_column: 6 }],
          ],
          [
            'unknown field',
            'application/yaml',
            'name: p\nsoruces: []\nsources:\n  - name: a\n    query: SELECT 1\n',
            [{ field: '/soruces', line: 2, column: 1 }],
          ],
          ['missing field', 'application/yaml', 'name: p\nsources:\n  - name: a\n', [{ field: '/sources/0/query', line: 3 }]],
          ['bad name', 'application/yaml', 'name: Bad Name\nsources:\n  - name: a\n    query: SELECT 1\n', [{ field: '/name', line: 1, column: 7 }]],
          [
            'duplicate step',
            'application/yaml',
            'name: p\nsources:\n  - name: a\n    query: SELECT 1\n  - name: a\n    query: SELECT 2\n',
            [{ field: '/sources/1/name', line: 5 }],
          ],
          [
            'cycle',
            'application/json',
            stepsJson('p').replace('"input_datasets": []', '"input_datasets": ["daily"]'),
            [{ field: '/steps/0/name', line: 6, reason: expect.stringMatching(/cycle/) }],
          ],
          [
            'read before written',
            'application/yaml',
            'name: p\nsources:\n  - name: a\n    query: SELECT 1\ndestinations:\n  - name: t.x\n    from: nothing\n',
            [{ field: '/destinations/0/from', line: 7 }],
          ],
          [
            'two writers of one dataset',
            'application/yaml',
            'name: p\nsteps:\n  - name: a\n    config: {query_type: sql, query: SELECT 1, output_datasets: [x], job_type: extract}\n  - name: b\n    config: {query_type: sql, query: SELECT 2, output_datasets: [x], job_type: extract}\n',
            [{ field: '/steps/1/config/output_datasets/0', line: 6, column: 66 }],
          ],
          ['unknown variable', 'application/yaml', 'name: p\nsources:\n  - name: a\n    query: SELECT :nope\n', [{ field: '/sources/0/query', line: 4 }]],
          ['engine not available', 'application/json', stepsJson('p', undefined, { engine: 'argo-main' }), [{ field: '/engine', line: 4, column: 13 }]],
          ['warehouse not available', 'application/json', stepsJson('p', undefined, { warehouse: 'wh' }), [{ field: '/warehouse', line: 4, column: 16 }]],
          ['bad base_version', 'application/json', stepsJson('p', undefined, { base_version: 0 }), [{ field: '/base_version', line: 4, column: 19 }]],
        ];
        for (const [what, type, text, expected] of cases) {
          const res = await send('editor', 'post', `${P}/pipelines`, text, type);
          expect([what, res.status, res.body.error?.code]).toEqual([what, 400, expect.stringMatching(/^DEFINITION_/)]);
          expect([what, res.body.error.details]).toEqual([
            what,
            expect.arrayContaining(expected.map((e) => ('asymmetricMatch' in e ? e : expect.objectContaining(e)))),
          ]);
          for (const d of res.body.error.details) expect([what, d.line, d.column]).toEqual([what, expect.any(Number), expect.any(Number)]);
          const validated = await send('viewer', 'post', `${P}/pipelines/validate`, text, type);
          expect([what, validated.status, validated.body.valid]).toEqual([what, 200, false]);
          expect(validated.body.errors).toEqual(res.body.error.details);
        }
        expect((await call('viewer', 'get', `${P}/pipelines?origin=managed&per_page=500`)).body.length).toBe(before);
      });

      it('validates a good definition: the steps in run order, nothing stored', async () => {
        const before = (await call('viewer', 'get', `${P}/pipelines?origin=managed&per_page=500`)).body.length;
        const res = await send('viewer', 'post', `${P}/pipelines/validate`, SOURCES_YAML.replace('user-activity', 'never-stored'));
        expect(res.body).toMatchObject({ valid: true, errors: [] });
        expect(res.body.steps.map((s: any) => s.name)).toEqual(['events', 'activity', 'analytics.user_activity']);
        expect((await call('viewer', 'get', `${P}/pipelines?origin=managed&per_page=500`)).body.length).toBe(before);
      });

      it('refuses a taken name, an unsupported media type, a body over the limit and a YAML bomb', async () => {
        const name = unique('taken');
        await create(stepsJson(name));
        const again = await send('editor', 'post', `${P}/pipelines`, stepsJson(name), 'application/json');
        expect([again.status, again.body.error.code]).toEqual([409, 'PIPELINE_EXISTS']);
        expect((await send('editor', 'post', `${P}/pipelines`, 'name: x', 'text/plain')).status).toBe(415);
        const big = `${stepsJson(unique('big'))}${' '.repeat(17_000)}`;
        expect((await send('editor', 'post', `${P}/pipelines`, big, 'application/json')).status).toBe(413);
        const bomb = [
          'a: &a ["x","x","x","x","x","x","x","x","x"]',
          ...Array.from(
            { length: 8 },
            (_, i) =>
              `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
          ),
        ].join('\n');
        const started = Date.now();
        const res = await send('editor', 'post', `${P}/pipelines`, bomb);
        expect([res.status, res.body.error.code]).toEqual([400, 'DEFINITION_INVALID']);
        expect(res.body.error.details[0]).toMatchObject({ field: '' });
        // Refused by a cap, not by exhausting the machine (a loose bound; no timing is asserted beyond it).
        expect(Date.now() - started).toBeLessThan(10_000);
      });
    });

    describe('versions', () => {
      it('keeps the same version for the same content and adds one for new content', async () => {
        const name = unique('ver');
        const p = await create(stepsJson(name));
        // The same spec in YAML, laid out differently: unchanged.
        const same = await send('editor', 'put', `${P}/pipelines/${p.id}`, JSON.stringify(JSON.parse(stepsJson(name))), 'application/json');
        expect([same.status, same.body.current_version.number]).toEqual([200, 1]);
        const changed = await send(
          'editor',
          'put',
          `${P}/pipelines/${p.id}`,
          stepsJson(name, 'SELECT id, total, at FROM app.orders', { message: 'add at' }),
          'application/json',
        );
        expect([changed.status, changed.body.current_version.number, changed.body.current_version.message]).toEqual([201, 2, 'add at']);
        const list = await call('viewer', 'get', `${P}/pipelines/${p.id}/versions`);
        expect(list.body.map((v: any) => v.number)).toEqual([2, 1]);
        expect(list.headers['x-total-count']).toBe('2');
        const one = await call('viewer', 'get', `${P}/pipelines/${p.id}/versions/${list.body[1].id}`);
        expect(one.body).toMatchObject({ number: 1, source: stepsJson(name), format: 'json' });
      });

      it('is conditional on base_version and If-Match: a stale base is 409 VERSION_CONFLICT', async () => {
        const name = unique('cond');
        const p = await create(stepsJson(name));
        const ok = await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, 'SELECT 2 AS id', { base_version: 1 }), 'application/json');
        expect(ok.status).toBe(201);
        const stale = await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, 'SELECT 3 AS id', { base_version: 1 }), 'application/json');
        expect([stale.status, stale.body.error.code, stale.body.error.current_version]).toEqual([409, 'VERSION_CONFLICT', 2]);
        const header = await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, 'SELECT 3 AS id'), 'application/json', { 'If-Match': '"1"' });
        expect([header.status, header.body.error.code]).toEqual([409, 'VERSION_CONFLICT']);
        const fresh = await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, 'SELECT 3 AS id'), 'application/json', { 'If-Match': '"2"' });
        expect([fresh.status, fresh.body.current_version.number]).toEqual([201, 3]);
        const bad = await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name), 'application/json', { 'If-Match': 'yesterday' });
        expect([bad.status, bad.body.error.details[0].field]).toEqual([400, 'If-Match']);
      });

      it('lets exactly one of two concurrent updates from one version win', async () => {
        const name = unique('race');
        const p = await create(stepsJson(name));
        // Both from version 1, said so: however the two interleave (one may end before the other
        // reads), exactly one may write version 2.
        const results = await Promise.all(
          ['SELECT 10 AS id', 'SELECT 20 AS id'].map((q) =>
            send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, q), 'application/json', { 'If-Match': '"1"' }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
        expect(results.find((r) => r.status === 409)?.body.error.code).toBe('VERSION_CONFLICT');
        expect((await call('viewer', 'get', `${P}/pipelines/${p.id}/versions`)).body.map((v: any) => v.number)).toEqual([2, 1]);
      });

      it('diffs two versions and restores an old one as a new version', async () => {
        const p = await create(SOURCES_YAML.replace('name: user-activity', 'name: diffed'), 'application/yaml');
        const v2text = SOURCES_YAML.replace('name: user-activity', 'name: diffed')
          .replace('count(*) AS n', 'count(*) AS events')
          .replace('destinations:', 'destinations:\n  - name: analytics.users\n    from: events\n');
        const v2 = await send('editor', 'put', `${P}/pipelines/${p.id}`, v2text);
        expect(v2.status).toBe(201);
        const [second, first] = (await call('viewer', 'get', `${P}/pipelines/${p.id}/versions`)).body;
        const diff = await call('viewer', 'get', `${P}/pipelines/${p.id}/versions/${second.id}/diff`);
        expect(diff.body.steps).toEqual({ added: ['analytics.users'], removed: [], changed: ['activity'] });
        expect(diff.body.text_diff).toContain('+    query: SELECT user_id, count(*) AS events FROM events GROUP BY user_id');
        expect(diff.body.from.number).toBe(1);
        const back = await call('viewer', 'get', `${P}/pipelines/${p.id}/versions/${first.id}/diff?against=${second.id}`);
        expect(back.body.steps).toEqual({ added: [], removed: ['analytics.users'], changed: ['activity'] });
        const restored = await call('editor', 'post', `${P}/pipelines/${p.id}/versions/${first.id}/restore`, { message: 'back to 1' });
        expect([restored.status, restored.body.current_version.number, restored.body.current_version.spec_hash]).toEqual([201, 3, first.spec_hash]);
        expect(restored.body.definition.steps.map((s: any) => s.name)).toEqual(['events', 'activity', 'analytics.user_activity']);
        const v3 = await call('viewer', 'get', `${P}/pipelines/${p.id}/versions/${restored.body.current_version.id}`);
        expect(v3.body).toMatchObject({ source: first.source, format: 'yaml', message: 'back to 1' });
        const again = await call('editor', 'post', `${P}/pipelines/${p.id}/versions/${first.id}/restore`);
        expect([again.status, again.body.current_version.number]).toEqual([200, 3]);
      });
    });

    describe('delete, pause, filter', () => {
      it('deletes a managed pipeline with everything it had, leaving no row behind; the name starts fresh', async () => {
        const counts = h.countRows ? await h.countRows() : undefined;
        const name = unique('doomed');
        const p = await create(stepsJson(name));
        await send('editor', 'put', `${P}/pipelines/${p.id}`, stepsJson(name, 'SELECT 5 AS id'), 'application/json');
        await call('viewer', 'put', `${P}/pipelines/${p.id}/watch`);
        expect((await call('viewer', 'delete', `${P}/pipelines/${p.id}`)).status).toBe(403);
        expect((await call('editor', 'delete', `${P}/pipelines/${p.id}`)).status).toBe(204);
        expect((await call('viewer', 'get', `${P}/pipelines/${p.id}`)).status).toBe(404);
        expect((await call('viewer', 'get', `${P}/pipelines/${p.id}/versions`)).status).toBe(404);
        expect((await call('editor', 'delete', `${P}/pipelines/${p.id}`)).status).toBe(404);
        if (counts && h.countRows) expect(await h.countRows()).toEqual(counts);
        const fresh = await create(stepsJson(name));
        expect(fresh.current_version.number).toBe(1);
      });

      it('refuses to delete or version a synced pipeline', async () => {
        const [synced] = (await call('viewer', 'get', `${P}/pipelines?origin=synced`)).body;
        const del = await call('editor', 'delete', `${P}/pipelines/${synced.id}`);
        expect([del.status, del.body.error.code]).toEqual([409, 'PIPELINE_NOT_MANAGED']);
        const put = await send('editor', 'put', `${P}/pipelines/${synced.id}`, stepsJson('x'), 'application/json');
        expect([put.status, put.body.error.code]).toEqual([409, 'PIPELINE_NOT_MANAGED']);
      });

      it('pauses a managed pipeline (the schedule stops) and resumes it (recomputed)', async () => {
        const p = await create(stepsJson(unique('pause')));
        expect(p.next_run_at).not.toBeNull();
        const paused = await call('editor', 'patch', `${P}/pipelines/${p.id}/paused`, { paused: true });
        expect(paused.body).toMatchObject({ paused: true, status: 'paused', next_run_at: null });
        const resumed = await call('editor', 'patch', `${P}/pipelines/${p.id}/paused`, { paused: false });
        expect(resumed.body).toMatchObject({ paused: false, status: 'active' });
        expect(resumed.body.next_run_at).toEqual(expect.stringMatching(/T02:30:00\.000Z$/));
        expect((await call('viewer', 'patch', `${P}/pipelines/${p.id}/paused`, { paused: true })).status).toBe(403);
        expect((await call('editor', 'patch', `${P}/pipelines/${p.id}/paused`, { paused: 'yes' })).status).toBe(400);
      });

      it('pauses a synced pipeline in its orchestrator, shown at once', async () => {
        const synced = (await call('viewer', 'get', `${P}/pipelines?origin=synced&status=active`)).body[0];
        const paused = await call('editor', 'patch', `${P}/pipelines/${synced.id}/paused`, { paused: true });
        expect(paused.body).toMatchObject({ paused: true, status: 'paused' });
        // The next sync reads it back from the orchestrator.
        await call('root', 'post', `${P}/connectors/${connectorId}/sync?wait=true`);
        expect((await call('viewer', 'get', `${P}/pipelines/${synced.id}`)).body.paused).toBe(true);
        await call('editor', 'patch', `${P}/pipelines/${synced.id}/paused`, { paused: false });
        await call('root', 'post', `${P}/connectors/${connectorId}/sync?wait=true`);
        expect((await call('viewer', 'get', `${P}/pipelines/${synced.id}`)).body.paused).toBe(false);
      });

      it('filters by origin, one or several, and keeps other spaces out', async () => {
        const managed = (await call('viewer', 'get', `${P}/pipelines?origin=managed&per_page=500`)).body;
        const synced = (await call('viewer', 'get', `${P}/pipelines?origin=synced&per_page=500`)).body;
        const both = (await call('viewer', 'get', `${P}/pipelines?origin=managed,synced&per_page=500`)).body;
        expect(managed.length).toBeGreaterThan(0);
        expect(managed.every((p: any) => p.origin === 'managed')).toBe(true);
        expect(synced.every((p: any) => p.origin === 'synced' && p.current_version === null)).toBe(true);
        expect(both.length).toBe(managed.length + synced.length);
        expect((await call('viewer', 'get', `${P}/pipelines?origin=elsewhere`)).status).toBe(400);
        const id = managed[0].id;
        const [version] = (await call('viewer', 'get', `${P}/pipelines/${id}/versions`)).body;
        for (const url of [`pipelines/${id}`, `pipelines/${id}/versions`, `pipelines/${id}/versions/${version.id}`]) {
          expect((await call('outsider', 'get', `spaces/elsewhere/orchestration/${url}`)).status).toBe(404);
        }
        expect((await call('outsider', 'delete', `spaces/elsewhere/orchestration/pipelines/${id}`)).status).toBe(404);
      });

      it('lets members read and validate, and only editors write: the role matrix', async () => {
        const RANK: Record<Role, number> = { outsider: 0, viewer: 1, editor: 2, root: 3 };
        const made = async () => (await send('root', 'post', `${P}/pipelines`, stepsJson(unique('matrix')), 'application/json')).body;
        const ops: [string, Exclude<Role, 'outsider'>, (r: Role) => Promise<request.Response>, number][] = [
          ['POST validate', 'viewer', (r) => send(r, 'post', `${P}/pipelines/validate`, stepsJson('x'), 'application/json'), 200],
          ['GET pipeline', 'viewer', async (r) => call(r, 'get', `${P}/pipelines/${(await made()).id}`), 200],
          ['GET versions', 'viewer', async (r) => call(r, 'get', `${P}/pipelines/${(await made()).id}/versions`), 200],
          [
            'GET version',
            'viewer',
            async (r) => {
              const p = await made();
              return call(r, 'get', `${P}/pipelines/${p.id}/versions/${p.current_version.id}`);
            },
            200,
          ],
          [
            'GET diff',
            'viewer',
            async (r) => {
              const p = await made();
              return call(r, 'get', `${P}/pipelines/${p.id}/versions/${p.current_version.id}/diff`);
            },
            200,
          ],
          ['POST pipeline', 'editor', (r) => send(r, 'post', `${P}/pipelines`, stepsJson(unique('by')), 'application/json'), 201],
          [
            'PUT pipeline',
            'editor',
            async (r) => {
              const p = await made();
              return send(r, 'put', `${P}/pipelines/${p.id}`, stepsJson(p.name, 'SELECT 9 AS id'), 'application/json');
            },
            201,
          ],
          [
            'POST restore',
            'editor',
            async (r) => {
              const p = await made();
              return call(r, 'post', `${P}/pipelines/${p.id}/versions/${p.current_version.id}/restore`);
            },
            200,
          ],
          ['PATCH paused', 'editor', async (r) => call(r, 'patch', `${P}/pipelines/${(await made()).id}/paused`, { paused: true }), 200],
          ['DELETE pipeline', 'editor', async (r) => call(r, 'delete', `${P}/pipelines/${(await made()).id}`), 204],
        ];
        for (const [name, min, op, success] of ops) {
          for (const role of ['outsider', 'viewer', 'editor', 'root'] as const) {
            const expected = RANK[role] >= RANK[min] ? success : role === 'outsider' ? 404 : 403;
            const res = await op(role);
            expect([name, role, res.status]).toEqual([name, role, expected]);
          }
        }
      });
    });
  });
}
