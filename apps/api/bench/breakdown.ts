/*
 * Where the time of one pipeline-list request goes, measured sequentially (no concurrency), as the
 * benchmark's viewer, on the data set `BENCH_KEEP=1 npm run bench:api` keeps:
 *   BENCH_KEEP=1 npm run bench:api && npx tsx apps/api/bench/breakdown.ts
 * (BENCH_KEEP_URL names another kept database, e.g. …/sbx_bench_keep_sync.)
 */
import { sql } from 'kysely';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { T } from '../src/tokens';

const KEY = 'sbx_bench_admin_key_0123456789abcdefgh';
async function main() {
  const config = loadConfig({
    DATABASE_URL: process.env.BENCH_KEEP_URL ?? 'postgres://postgres@127.0.0.1:5432/sbx_bench_keep_persistence',
    SIGNALBOX_SECRET_KEY: 'bench-secret-key-0123456789',
    LOG_LEVEL: 'warn',
    SIGNALBOX_DEMO: '0',
  });
  const c = buildContainer(config);
  const db = await c.getAsync(T.database);
  const s = await c.getAsync(T.services);
  const repos = await c.getAsync(T.repositories);
  const time = async (name: string, f: () => Promise<unknown>, n = 50) => {
    for (let i = 0; i < 5; i++) await f();
    const t0 = performance.now();
    let out: unknown;
    for (let i = 0; i < n; i++) out = await f();
    console.log(name.padEnd(30), ((performance.now() - t0) / n).toFixed(2), 'ms');
    return out;
  };
  const admin = (await s.access.authenticate(KEY))!;
  const viewer = (await repos.users.getByEmail('bench-viewer@example.com'))!;
  const viewerKey = (await s.access.issueKeyFor(admin, viewer.id, { name: 'breakdown' })).key;
  const actor = (await s.access.authenticate(viewerKey))!;
  await time('select 1', () => sql`select 1`.execute(db.db));
  await time('authenticate', () => s.access.authenticate(viewerKey));
  const space = (await repos.spaces.getBySlug('bench'))!;
  await time('membership', () => repos.memberships.get(space.id, viewer.id));
  await time('space by slug', () => repos.spaces.getBySlug('bench'));
  const page = (await time('pipelines.list', () => s.pipelines.list(actor, 'bench', {}, { page: 1, perPage: 100 }, 7), 20)) as any;
  console.log(
    'runs in window',
    page.items.reduce((a: number, p: any) => a + p.summary.runs, 0),
  );
  const { PIPELINE_WIRE } = await import('@signalbox/http-express');
  await time('pipelines.listRendered', () => s.pipelines.listRendered(actor, 'bench', {}, { page: 1, perPage: 100 }, 7, PIPELINE_WIRE), 50);
  await time('  with a filter', () => s.pipelines.listRendered(actor, 'bench', { status: ['active'] }, { page: 1, perPage: 100 }, 7, PIPELINE_WIRE), 50);
  const app = await c.getAsync(T.app);
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as any).port}/api/v1.0/spaces/bench/orchestration/pipelines?per_page=100&days=7`;
  await time('HTTP GET pipelines', async () => (await fetch(url, { headers: { Authorization: `Bearer ${viewerKey}` } })).text(), 30);
  const t = await (await fetch(url, { headers: { Authorization: `Bearer ${viewerKey}` } })).text();
  console.log('body bytes', t.length);
  server.close();
  await db.close();
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
