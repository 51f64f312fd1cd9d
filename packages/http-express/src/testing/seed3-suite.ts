import type { Services } from '@signalbox/core';
import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../app';
import { OpenApiChecker } from './openapi-check';

const TERMINAL = ['success', 'failed', 'canceled'];

export interface Seed3Harness {
  /** Services with an engine and a worker running its jobs and syncs, with a `mock` connector type. */
  services: Services;
  /**
   * Makes the step of that name fail from now on. A real warehouse needs nothing: the suite's
   * failing step divides by zero.
   */
  failStep?(name: string): void;
  /** Moves a fake clock on (a wiring on the system clock needs nothing): runs made later are newer. */
  advanceClock?(ms: number): void;
  close?(): Promise<void>;
}

const ROOT_KEY = 'sbx_test_root_key_seed3_0123456789abcdefghijk';
const BASE = '/api/v1.0';
const SLUG = 'seed3';
const P = `spaces/${SLUG}/orchestration`;

type Role = 'root' | 'viewer' | 'outsider';

/** The Argo node phase each task-run status is shown as (docs/http-api.md, "Seed-3 dialect"). */
const EXPECTED_STEP_PHASE: Record<string, string> = {
  pending: 'Pending',
  queued: 'Pending',
  running: 'Running',
  retrying: 'Running',
  success: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  upstream_failed: 'Omitted',
  removed: 'Skipped',
};
const EXPECTED_RUN_PHASE: Record<string, string> = { queued: 'Pending', running: 'Running', success: 'Succeeded', failed: 'Failed', canceled: 'Failed' };
const RUN_KEYS = [
  'argo_manifest',
  'argo_metadata',
  'created_at',
  'finished_at',
  'id',
  'name',
  'pipeline_config_version_id',
  'pipeline_version',
  'run_steps',
  'status',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Three steps one after the other; `divide` makes the middle one divide by zero. */
const definition = (divide: boolean) =>
  JSON.stringify({
    name: 'seed3-orders',
    steps: [
      {
        name: 's3_extract',
        config: {
          query_type: 'sql',
          query: 'SELECT g AS n FROM generate_series(1, 3) AS g',
          input_datasets: [],
          output_datasets: ['s3_extract'],
          job_type: 'extract',
        },
      },
      {
        name: 's3_transform',
        config: {
          query_type: 'sql',
          query: divide ? 'SELECT n / 0 AS n FROM s3_extract' : 'SELECT n * 2 AS n FROM s3_extract',
          input_datasets: ['s3_extract'],
          output_datasets: ['s3_transform'],
          job_type: 'data-transform',
        },
      },
      {
        name: 's3_load',
        config: { query_type: 'sql', query: 'SELECT n FROM s3_transform', input_datasets: ['s3_transform'], output_datasets: ['s3_load'], job_type: 'load' },
      },
    ],
  });

/**
 * The seed-3 dialect (`GET /pipelines/{pipeline_id}/runs`, at the server's root) on any wiring
 * whose engine runs managed steps: every field of a run against the canonical API's own answer,
 * the Argo words, the trailing slash, `version_id`, the 404s; and the `Api-key` header on several
 * routes. Every answer is checked against the OpenAPI document.
 */
export function seed3ApiSuite(label: string, setup: () => Promise<Seed3Harness>): void {
  describe(`seed-3 dialect and the Api-key header (${label})`, () => {
    jest.setTimeout(150_000);
    let h: Seed3Harness;
    let app: Express;
    let openapi: OpenApiChecker;
    const keys = {} as Record<Role, string>;
    let pipelineId: string;
    const versions: { v1?: any; v2?: any } = {};
    const runs: { ok?: any; failed?: any } = {};

    const send = async (method: 'get' | 'post' | 'put' | 'delete', path: string, headers: Record<string, string>, body?: unknown) => {
      let r = request(app)[method](path);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      const res = body === undefined ? await r : await r.send(body as object);
      if (res.status >= 400) openapi.checkError(res.body);
      openapi.check(method, path, res.status, res.status === 204 ? undefined : res.body);
      return res;
    };
    const call = (role: Role, method: 'get' | 'post' | 'put' | 'delete', url: string, body?: unknown) =>
      send(method, `${BASE}/${url}`, { Authorization: `Bearer ${keys[role]}` }, body);
    const seed3 = (role: Role, path: string) => send('get', path, { Authorization: `Bearer ${keys[role]}` });
    const finished = async (runId: string) => {
      // Rounds of the long poll, so a slow machine gets two minutes before the test gives up.
      let res = await call('viewer', 'get', `${P}/runs/${runId}?wait_seconds=30`);
      for (let round = 1; round < 4 && res.status === 200 && !TERMINAL.includes(res.body.status); round++) {
        res = await call('viewer', 'get', `${P}/runs/${runId}?wait_seconds=30`);
      }
      expect([res.status, TERMINAL.includes(res.body.status)]).toEqual([200, true]);
      return res.body;
    };
    const define = async (text: string, method: 'post' | 'put', id?: string) => {
      const res = await request(app)
        [method](`${BASE}/${P}/pipelines${id ? `/${id}` : ''}`)
        .set('Authorization', `Bearer ${ROOT_KEY}`)
        .set('Content-Type', 'application/json')
        .send(text);
      expect([res.status, res.body.error]).toEqual([201, undefined]);
      return res.body;
    };

    beforeAll(async () => {
      h = await setup();
      app = buildApp(h.services, { ready: async () => {} });
      openapi = new OpenApiChecker((await request(app).get('/openapi.json').expect(200)).body);
      await h.services.access.bootstrapAdminKey(ROOT_KEY);
      keys.root = ROOT_KEY;
      await call('root', 'post', 'spaces', { slug: SLUG, name: 'Seed 3' });
      await call('root', 'post', 'spaces', { slug: 'seed3-other', name: 'Other' });
      for (const role of ['viewer', 'outsider'] as const) {
        const user = await call('root', 'post', 'users', { email: `seed3-${role}@example.com`, name: role });
        keys[role] = (await call('root', 'post', `users/${user.body.id}/api-keys`, { name: 'test' })).body.key;
        await call('root', 'put', `spaces/${role === 'outsider' ? 'seed3-other' : SLUG}/members/${user.body.id}`, {
          role: role === 'outsider' ? 'admin' : 'viewer',
        });
      }

      // Version 1 runs to success; version 2's middle step fails, so the last one never runs.
      const created = await define(definition(false), 'post');
      pipelineId = created.id;
      versions.v1 = (await call('viewer', 'get', `${P}/pipelines/${pipelineId}/versions/${created.current_version.id}`)).body;
      runs.ok = await finished((await call('root', 'post', `${P}/pipelines/${pipelineId}/trigger`, {})).body.id);
      h.failStep?.('s3_transform');
      h.advanceClock?.(60_000);
      const updated = await define(definition(true), 'put', pipelineId);
      versions.v2 = (await call('viewer', 'get', `${P}/pipelines/${pipelineId}/versions/${updated.current_version.id}`)).body;
      runs.failed = await finished((await call('root', 'post', `${P}/pipelines/${pipelineId}/trigger`, {})).body.id);
    }, 120_000);

    afterAll(async () => {
      await h?.close?.();
    });

    /** What the seed-3 answer must be for a run, from the canonical API's answer and its version. */
    const expectedRun = (run: any, version: any) => {
      const name = `signalbox-${run.id.replace(/-/g, '')}`;
      return {
        id: run.id,
        pipeline_config_version_id: version.id,
        name,
        status: EXPECTED_RUN_PHASE[run.status],
        argo_manifest: {},
        argo_metadata: {},
        pipeline_version: {
          id: version.id,
          pipeline_id: pipelineId,
          steps: version.steps.map((s: any) => ({ name: s.name, config: s.config, created_at: version.created_at, id: expect.stringMatching(UUID) })),
          created_at: version.created_at,
        },
        created_at: run.created_at,
        finished_at: run.finished_at,
        run_steps: run.task_runs.map((t: any) => ({
          name: t.task_id,
          run_name: name,
          status: EXPECTED_STEP_PHASE[t.status],
          started_at: t.started_at,
          finished_at: t.finished_at,
        })),
      };
    };

    it('answers a bare array of runs, newest first, every field as the canonical API knows the run', async () => {
      const res = await seed3('viewer', `/pipelines/${pipelineId}/runs`);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toEqual([expectedRun(runs.failed, versions.v2), expectedRun(runs.ok, versions.v1)]);
      for (const run of res.body) expect(Object.keys(run).sort()).toEqual(RUN_KEYS);
      expect(res.headers['x-total-count']).toBe('2');
    });

    it('words step and run statuses as Argo does: Succeeded, Failed, Omitted for a step after a failure', async () => {
      const [failed, ok] = (await seed3('viewer', `/pipelines/${pipelineId}/runs`)).body;
      expect(ok.status).toBe('Succeeded');
      expect(ok.run_steps.map((s: any) => [s.name, s.status])).toEqual([
        ['s3_extract', 'Succeeded'],
        ['s3_transform', 'Succeeded'],
        ['s3_load', 'Succeeded'],
      ]);
      expect(failed.status).toBe('Failed');
      expect(failed.run_steps.map((s: any) => [s.name, s.status])).toEqual([
        ['s3_extract', 'Succeeded'],
        ['s3_transform', 'Failed'],
        ['s3_load', 'Omitted'],
      ]);
      expect(failed.finished_at).not.toBeNull();
    });

    it('names a run after its id, DNS-safe, and gives each version step a stable id of its own', async () => {
      const first = (await seed3('viewer', `/pipelines/${pipelineId}/runs`)).body;
      const again = (await seed3('viewer', `/pipelines/${pipelineId}/runs`)).body;
      for (const run of first) expect(run.name).toMatch(/^signalbox-[0-9a-f]{32}$/);
      expect(first[0].name).not.toBe(first[1].name);
      const ids = (run: any) => run.pipeline_version.steps.map((s: any) => s.id);
      expect(ids(again[0])).toEqual(ids(first[0]));
      expect(new Set([...ids(first[0]), ...ids(first[1])]).size).toBe(6);
    });

    it('answers the same with a trailing slash', async () => {
      const plain = await seed3('viewer', `/pipelines/${pipelineId}/runs`);
      const slash = await seed3('viewer', `/pipelines/${pipelineId}/runs/`);
      expect([slash.status, slash.body]).toEqual([200, plain.body]);
    });

    it('filters by version_id; a version id that is not a uuid is 400', async () => {
      const v1 = await seed3('viewer', `/pipelines/${pipelineId}/runs?version_id=${versions.v1.id}`);
      expect(v1.body.map((r: any) => r.id)).toEqual([runs.ok.id]);
      const v2 = await seed3('viewer', `/pipelines/${pipelineId}/runs/?version_id=${versions.v2.id}`);
      expect(v2.body.map((r: any) => r.id)).toEqual([runs.failed.id]);
      expect((await seed3('viewer', `/pipelines/${pipelineId}/runs?version_id=00000000-0000-4000-8000-000000000000`)).body).toEqual([]);
      const bad = await seed3('viewer', `/pipelines/${pipelineId}/runs?version_id=v1`);
      expect([bad.status, bad.body.error.details[0].field]).toEqual([400, 'version_id']);
    });

    it('is 404 for a pipeline the caller cannot see, one that does not exist, and one deleted; an instance admin sees every space', async () => {
      const hidden = await seed3('outsider', `/pipelines/${pipelineId}/runs`);
      expect([hidden.status, hidden.body.error.code]).toEqual([404, 'PIPELINE_NOT_FOUND']);
      const absent = await seed3('viewer', '/pipelines/00000000-0000-4000-8000-000000000000/runs');
      expect([absent.status, absent.body.error.code]).toEqual([404, 'PIPELINE_NOT_FOUND']);
      expect((await seed3('viewer', '/pipelines/not-a-uuid/runs')).status).toBe(404);
      const doomed = (await define(definition(false).replace('seed3-orders', 'seed3-doomed'), 'post')).id;
      expect((await seed3('viewer', `/pipelines/${doomed}/runs`)).body).toEqual([]);
      expect((await call('root', 'delete', `${P}/pipelines/${doomed}`)).status).toBe(204);
      expect((await seed3('viewer', `/pipelines/${doomed}/runs`)).status).toBe(404);
      expect((await seed3('root', `/pipelines/${pipelineId}/runs`)).body).toHaveLength(2);
      expect((await send('get', `/pipelines/${pipelineId}/runs`, {})).status).toBe(401);
    });

    it('shows a synced run with null version, empty Argo fields and its task runs in Argo words', async () => {
      const connector = await call('root', 'post', `spaces/${SLUG}/connectors`, {
        name: 'seed3-mock',
        type: 'mock',
        config: { pipelines: 2, runs_per_pipeline: 3, seed: 3 },
      });
      expect((await call('root', 'post', `${P}/connectors/${connector.body.id}/sync?wait=true`)).status).toBe(200);
      const synced = (await call('viewer', 'get', `${P}/pipelines?origin=synced`)).body[0];
      const canonical = (await call('viewer', 'get', `${P}/pipelines/${synced.id}/runs`)).body;
      expect(canonical.length).toBeGreaterThan(0);
      const res = await seed3('viewer', `/pipelines/${synced.id}/runs`);
      expect(res.body.map((r: any) => r.id)).toEqual(canonical.map((r: any) => r.id));
      for (const run of res.body) {
        const detail = (await call('viewer', 'get', `${P}/runs/${run.id}`)).body;
        expect(run).toEqual({
          id: detail.id,
          pipeline_config_version_id: null,
          name: `signalbox-${detail.id.replace(/-/g, '')}`,
          status: EXPECTED_RUN_PHASE[detail.status],
          argo_manifest: {},
          argo_metadata: {},
          pipeline_version: null,
          created_at: detail.created_at,
          finished_at: detail.finished_at,
          run_steps: detail.task_runs.map((t: any) => ({
            name: t.task_id,
            run_name: run.name,
            status: EXPECTED_STEP_PHASE[t.status],
            started_at: t.started_at,
            finished_at: t.finished_at,
          })),
        });
      }
    });

    describe('the Api-key header', () => {
      const withApiKey = (method: 'get' | 'post', path: string, key: string, extra: Record<string, string> = {}, body?: unknown) =>
        send(method, path, { 'Api-key': key, ...extra }, body);

      it('is accepted on every kind of route: reads, writes and the seed-3 dialect', async () => {
        const me = await withApiKey('get', `${BASE}/me`, keys.viewer);
        expect([me.status, me.body.email]).toEqual([200, 'seed3-viewer@example.com']);
        expect((await withApiKey('get', `${BASE}/spaces/${SLUG}`, keys.viewer)).status).toBe(200);
        const runsViaKey = await withApiKey('get', `/pipelines/${pipelineId}/runs`, keys.viewer);
        expect(runsViaKey.body.map((r: any) => r.id)).toEqual([runs.failed.id, runs.ok.id]);
        const team = await withApiKey('post', `${BASE}/spaces/${SLUG}/teams`, ROOT_KEY, { 'Content-Type': 'application/json' }, { name: 'seed3 team' });
        expect(team.status).toBe(201);
        // The caller is the key's user, whichever header named it: a viewer may not write.
        expect((await withApiKey('post', `${BASE}/spaces/${SLUG}/teams`, keys.viewer, {}, { name: 'nope' })).status).toBe(403);
      });

      it('accepts both headers naming the same key, and refuses two different keys with 400', async () => {
        expect((await withApiKey('get', `${BASE}/me`, keys.viewer, { Authorization: `Bearer ${keys.viewer}` })).status).toBe(200);
        const both = await withApiKey('get', `${BASE}/me`, keys.viewer, { Authorization: `Bearer ${keys.outsider}` });
        expect([both.status, both.body.error.code]).toEqual([400, 'AMBIGUOUS_API_KEY']);
        const seed3Both = await withApiKey('get', `/pipelines/${pipelineId}/runs`, keys.viewer, { Authorization: `Bearer ${ROOT_KEY}` });
        expect([seed3Both.status, seed3Both.body.error.code]).toEqual([400, 'AMBIGUOUS_API_KEY']);
      });

      it('is 401 for an unknown key and for an empty header', async () => {
        const unknown = await withApiKey('get', `${BASE}/me`, 'sbx_not_a_key_at_all_0123456789');
        expect([unknown.status, unknown.body.error.code]).toEqual([401, 'INVALID_API_KEY']);
        const empty = await withApiKey('get', `${BASE}/me`, '');
        expect([empty.status, empty.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      });

      it('is in the OpenAPI security schemes, beside the bearer scheme', async () => {
        const doc = (await request(app).get('/openapi.json')).body;
        expect(doc.components.securitySchemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'Api-key' });
        expect(doc.paths['/pipelines/{pipeline_id}/runs'].get.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
        expect(doc.paths['/pipelines/{pipeline_id}/runs/'].get.operationId).toBe('seed3ListRunsSlash');
        expect(doc.paths[`${BASE}/me`].get.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
      });
    });
  });
}
