import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Running, start } from './main';
import { freshDatabase } from './test-support';
import { T } from './tokens';

jest.setTimeout(60_000);

const sink = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

// Two API processes' worth of wiring (two containers, two pools, two servers) on one PostgreSQL.
describe('several servers on one PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  const dirs = [mkdtempSync(join(tmpdir(), 'signalbox-a-')), mkdtempSync(join(tmpdir(), 'signalbox-b-'))];
  const servers: Running[] = [];
  const KEY = 'sbx_shared_operator_key_0123456789abcdef';

  beforeAll(async () => {
    database = await freshDatabase('multi');
    const env = (dir: string) => ({
      DATABASE_URL: database.url,
      SIGNALBOX_SECRET_KEY: 'shared-secret-key-0123456789',
      SIGNALBOX_ADMIN_API_KEY: KEY,
      SIGNALBOX_DATA_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'error',
      DATABASE_POOL_SIZE: '3',
    });
    // Both start at once: migrations, the bootstrap key and the demo must each happen once.
    servers.push(...(await Promise.all(dirs.map((dir) => start({ env: env(dir), logStream: sink(), print: () => {} })))));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await database.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const get = async (s: Running, path: string) => {
    const res = await fetch(`${s.url}/api/v1.0${path}`, { headers: { Authorization: `Bearer ${KEY}` } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  it('start together and serve the same demo, created once', async () => {
    const [a, b] = servers;
    const ca = await get(a, '/spaces/demo/connectors');
    const cb = await get(b, '/spaces/demo/connectors');
    expect(ca.headers.get('x-total-count')).toBe('1');
    expect(cb.body).toEqual(ca.body);
    expect((await get(b, '/spaces/demo/orchestration/pipelines?per_page=1')).headers.get('x-total-count')).toBe('36');
  });

  it('see each other’s writes and share the one-sync-per-connector lock', async () => {
    const [a, b] = servers;
    const headers = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
    const team = await fetch(`${a.url}/api/v1.0/spaces/demo/teams`, { method: 'POST', headers, body: JSON.stringify({ name: 'Shared' }) });
    expect(team.status).toBe(201);
    const teams = await get(b, '/spaces/demo/teams?per_page=500');
    expect(teams.body.map((t: { name: string }) => t.name)).toContain('Shared');

    const [connector] = (await get(a, '/spaces/demo/connectors')).body;
    // Slow down both servers' mocks (either worker may run the sync) so it is still running when B is asked.
    const repos = await a.container.getAsync(T.repositories);
    const stored = await repos.connectors.get((await repos.spaces.getBySlug('demo'))!.id, connector.id);
    for (const s of servers) s.container.get(T.mockProviders).create(stored!).setLatency(300);
    const sync = `/api/v1.0/spaces/demo/orchestration/connectors/${connector.id}/sync`;
    const first = await fetch(`${a.url}${sync}`, { method: 'POST', headers });
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as { id: string };
    const second = await fetch(`${b.url}${sync}`, { method: 'POST', headers });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { sync: { id: string } } }).error.sync.id).toBe(firstBody.id);
    let status = 'running';
    for (let i = 0; i < 100 && status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await get(b, `/spaces/demo/connectors/${connector.id}/syncs/${firstBody.id}`)).body.status;
    }
    expect(status).toBe('succeeded');
  });

  it('answer 304 from the space each keeps, with the rate limits on, until the other one writes what the answer shows (ADR 0024)', async () => {
    const [a, b] = servers;
    const list = '/spaces/demo/orchestration/pipelines?per_page=5';
    const conditional = (tag: string) => fetch(`${a.url}/api/v1.0${list}`, { headers: { Authorization: `Bearer ${KEY}`, 'If-None-Match': tag } });
    const tag = (await get(a, list)).headers.get('etag')!;
    // The API's container keeps answers (on by default), and a request's own rate-limit count
    // (written to the database) does not forget them: a 304 is answered from what is kept.
    const kept = jest.spyOn((await a.container.getAsync(T.database)).kept!, 'get');
    let fromKept = false;
    for (let i = 0; i < 50 && !fromKept; i++) {
      kept.mockClear();
      expect((await conditional(tag)).status).toBe(304);
      fromKept = kept.mock.results.some((r) => r.value !== undefined);
    }
    kept.mockRestore();
    expect(fromKept).toBe(true);
    const [pipeline] = (await get(b, list)).body;
    const watch = await fetch(`${b.url}/api/v1.0/spaces/demo/orchestration/pipelines/${pipeline.id}/watch`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${KEY}` },
    });
    expect(watch.status).toBe(204);
    let status = 304;
    for (let i = 0; i < 100 && status === 304; i++) {
      const res = await conditional(tag);
      status = res.status;
      await res.arrayBuffer();
      if (status === 304) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(200);
  });
});
