/*
 * `npm run bench:api`: autocannon against GET …/pipelines (per_page 100, days 7) as a viewer of the
 * space, and in the same run against a bare Express route doing `SELECT 1` through the same pool,
 * so the ratio says what the API adds over the framework and the database round trip.
 *
 * Data set: the persistence benchmark's (`seedSpace` of packages/persistence-kysely/bench/seed.ts:
 * BENCH_PIPELINES pipelines, default 10,000, and about BENCH_RUNS runs, default 1,000,000, plus
 * BENCH_OTHER_SPACES other spaces, default 2, with half as many each) when that module is there;
 * otherwise, or with BENCH_DATASET=sync, a smaller set seeded through the real sync of a mock
 * connector (BENCH_PIPELINES default 500, BENCH_RUNS runs per pipeline default 40).
 * In a fresh PostgreSQL database (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local test
 * server) dropped at the end; BENCH_KEEP=1 keeps it (sbx_bench_keep_<data set>) for the next run
 * and for breakdown.ts. BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 50).
 *
 * The bare route is the one place outside http-express that uses Express: it is the baseline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Actor, Services } from '@signalbox/core';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import express from 'express';
import { sql } from 'kysely';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { T } from '../src/tokens';
import { admin, BASE_URL, num } from './support';

const run = promisify(execFile);
const SEED_MODULE = resolve(__dirname, '../../../packages/persistence-kysely/bench/seed.ts');
const DATASET = process.env.BENCH_DATASET ?? (existsSync(SEED_MODULE) ? 'persistence' : 'sync');
const PIPELINES = num('BENCH_PIPELINES', DATASET === 'sync' ? 500 : 10_000);
const RUNS = num('BENCH_RUNS', DATASET === 'sync' ? 40 : 1_000_000);
const OTHER_SPACES = num('BENCH_OTHER_SPACES', 2);
const VIEWER_EMAIL = 'bench-viewer@example.com';
const SECONDS = num('BENCH_SECONDS', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const KEY = 'sbx_bench_admin_key_0123456789abcdefgh';

const listen = (app: express.Express) =>
  new Promise<Server>((ok) => {
    const server = app.listen(0, '127.0.0.1', () => ok(server));
  });

interface Result {
  requests: { average: number; total: number };
  '2xx': number;
  '3xx': number;
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
}

async function cannon(url: string, seconds: number, key: string, headers: string[] = []): Promise<Result> {
  const bin = resolve(__dirname, '../../../node_modules/.bin/autocannon');
  const args = ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${key}`, ...headers.flatMap((h) => ['-H', h]), url];
  const { stdout } = await run(bin, args, {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Result;
}

/** The smaller data set: one space with a mock connector, synced, so every row went through the real write path. */
async function seedBySync(services: Services, actor: Actor) {
  await services.spaces.create(actor, { slug: 'bench', name: 'Bench' });
  const connector = await services.connectors.create(actor, 'bench', {
    name: 'bench-mock',
    type: 'mock',
    config: { pipelines: PIPELINES, runs_per_pipeline: RUNS, seed: 11, page_cap: 500 },
  });
  const t0 = Date.now();
  const sync = await services.syncs.runNow(connector);
  if (sync.status !== 'succeeded') throw new Error(`seeding sync failed: ${sync.error}`);
  const c = sync.counts;
  console.log(`seeded ${c.pipelines} pipelines, ${c.runs} runs, ${c.taskRuns} task runs through a sync in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  const keep = process.env.BENCH_KEEP === '1';
  const dbName = keep ? `sbx_bench_keep_${DATASET}` : `sbx_bench_${process.pid}`;
  await admin(`CREATE DATABASE ${dbName}`).catch((err) => {
    if (!keep || err.code !== '42P04') throw err; // kept from an earlier run
  });
  const url = new URL(BASE_URL);
  url.pathname = `/${dbName}`;
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    SIGNALBOX_SECRET_KEY: 'bench-secret-key-0123456789',
    LOG_LEVEL: 'warn',
    SIGNALBOX_DEMO: '0',
    // One key at hundreds of requests a second: the limits would refuse most of them.
    SIGNALBOX_RATE_LIMIT_PER_KEY: '0',
    SIGNALBOX_RATE_LIMIT_PER_ADDRESS: '0',
  });
  const container = buildContainer(config);
  const db = await container.getAsync(T.database);
  const servers: Server[] = [];
  try {
    await migrateToLatest(db.db);
    const services = await container.getAsync(T.services);
    const actor = await services.access.bootstrapAdminKey(KEY);
    const repos = await container.getAsync(T.repositories);
    let viewer = await repos.users.getByEmail(VIEWER_EMAIL);
    if (await repos.spaces.getBySlug('bench')) {
      console.log(`reusing the ${DATASET} data set kept by an earlier run (BENCH_KEEP=1)`);
    } else {
      viewer ??= await services.access.createUser(actor, { email: VIEWER_EMAIL, name: 'Bench viewer' });
      if (DATASET === 'sync') {
        await seedBySync(services, actor);
        await services.members.put(actor, 'bench', viewer.id, 'viewer');
      } else {
        const { seedSpace } = (await import(SEED_MODULE)) as {
          seedSpace: (db: unknown, slug: string, p: number, r: number, viewerId: string) => Promise<unknown>;
        };
        const t0 = Date.now();
        await seedSpace(db.db, 'bench', PIPELINES, RUNS, viewer.id);
        for (let i = 0; i < OTHER_SPACES; i++) await seedSpace(db.db, `other-${i}`, Math.ceil(PIPELINES / 2), Math.ceil(RUNS / 2), viewer.id);
        console.log(
          `seeded the persistence benchmark's data set (${PIPELINES} pipelines, ~${RUNS} runs, ${OTHER_SPACES} other spaces of half that) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
    }
    if (!viewer) throw new Error('the kept data set has no viewer');
    const viewerKey = (await services.access.issueKeyFor(actor, viewer.id, { name: 'bench' })).key;
    // As autovacuum leaves a table some time after a bulk load: statistics, and a visibility map
    // that lets the runs index answer the summaries (and the counts) by index-only scans.
    await sql`VACUUM ANALYZE`.execute(db.db);
    console.log(`PostgreSQL 15 on this machine, pool of ${config.databasePoolSize} connections shared by both servers`);

    const space = await repos.spaces.getBySlug('bench');
    if (!space) throw new Error('the data set has no space "bench"');
    const api = await listen((await container.getAsync(T.app)) as express.Express);
    const bare = express();
    bare.get('/select1', async (_req, res) => {
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db.db);
      res.json(rows[0]);
    });
    // The honest baseline: the same page of 100 full pipeline rows, read and sent as they are.
    bare.get('/page', async (_req, res) => {
      const { rows } = await sql`SELECT * FROM pipelines WHERE space_id = ${space.id} AND removed_at IS NULL ORDER BY name, id LIMIT 100`.execute(db.db);
      res.json(rows);
    });
    const bareServer = await listen(bare);
    servers.push(api, bareServer);
    const bareUrl = (path: string) => `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}${path}`;
    const apiUrl = (query: string, path = '/pipelines') =>
      `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v1.0/spaces/bench/orchestration${path}${query}`;
    const list = apiUrl('?per_page=100&days=7');

    const check = await fetch(list, { headers: { Authorization: `Bearer ${viewerKey}` } });
    if (check.status !== 200 || check.headers.get('x-total-count') !== String(PIPELINES)) throw new Error(`pipelines answered ${check.status}`);
    const first = (await check.json()) as { id: string }[];

    const row = (name: string, r: Result) =>
      `${name.padEnd(50)} ${r.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(r.latency.p99).padStart(5)} ms   avg ${r.latency.average.toFixed(1)} ms`;
    const measure = async (name: string, url: string, headers: string[] = []) => {
      await cannon(url, 2, viewerKey, headers); // warm up
      const r = await cannon(url, SECONDS, viewerKey, headers);
      // A conditional request expects 304s (autocannon counts them as non-2xx), and a few 200s when
      // the tag's minute ends during the run; any other request 2xx only.
      const ok = headers.length > 0 ? r['3xx'] > 0 && r.non2xx === r['3xx'] : r['2xx'] > 0 && r.non2xx === 0;
      if (r.errors > 0 || !ok) throw new Error(`${name}: ${r['2xx']} 2xx, ${r['3xx']} 3xx, ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      console.log(row(name, r));
      return r;
    };
    console.log(`\nautocannon -c ${CONNECTIONS} -d ${SECONDS}, as a viewer of the space, server and database on this machine (rate limits off)`);
    const select1 = await measure('bare Express GET → SELECT 1 (same pool)', bareUrl('/select1'));
    const page = await measure('bare Express GET → the same 100 rows (same pool)', bareUrl('/page'));
    const real = await measure('GET …/pipelines?per_page=100&days=7', list);
    const variants: [string, string][] = [
      ['q=warehouse', apiUrl('?per_page=100&days=7&q=warehouse')],
      ['status=error', apiUrl('?per_page=100&days=7&status=error')],
      ['watched_only=true', apiUrl('?per_page=100&days=7&watched_only=true')],
      ['days=30', apiUrl('?per_page=100&days=30')],
      ['per_page=20', apiUrl('?per_page=20&days=7')],
      ['fields=id,name,status,summary', apiUrl('?per_page=100&days=7&fields=id,name,status,summary')],
      ['fields=id,name,status', apiUrl('?per_page=100&days=7&fields=id,name,status')],
      ['detail', apiUrl('?days=7', `/pipelines/${first[0].id}`)],
    ];
    const others: [string, Result][] = [];
    for (const [name, url] of variants) others.push([name, await measure(`  with ${name}`, url)]);
    // The list while the space is written all the time, as during a sync: each write raises the
    // space's data version, so the totals and summaries kept for a version rarely hold (the
    // rendered rows do: the pipelines themselves are not written).
    const { rows: someRun } = await sql<{ id: string }>`SELECT id FROM runs WHERE space_id = ${space.id} LIMIT 1`.execute(db.db);
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      for (; writing; writes++) await sql`UPDATE runs SET note = ${`bench ${writes}`} WHERE id = ${someRun[0].id}`.execute(db.db);
    })();
    const writingSince = Date.now();
    others.push(['list while written', await measure('  while the space is written back to back', list)]);
    writing = false;
    await writer;
    console.log(`    (${Math.round(writes / ((Date.now() - writingSince) / 1000))} writes a second, each raising the space's data version)`);
    // The bare route right before the 304 and right after it: the 304 is taken against the mean of
    // the two, so that the machine's drift over the half minute weighs on both sides. The tag holds
    // for its minute, so the ETag is fetched with enough of one left for the 304's warm-up and run;
    // when the run before fits in the same minute too, the wait for a new one comes before it.
    /** Waits, if need be, for a minute with `seconds` of it left. */
    const minuteWithLeft = async (seconds: number) => {
      const left = 60_000 - (Date.now() % 60_000);
      if (left < seconds * 1000) await new Promise((r) => setTimeout(r, left + 100));
    };
    const both = 2 * (SECONDS + 2) + 4;
    if (both <= 60) await minuteWithLeft(both);
    const select1Before = await measure('bare Express GET → SELECT 1, right before the 304', bareUrl('/select1'));
    await minuteWithLeft(SECONDS + 4);
    const etag = (await fetch(list, { headers: { Authorization: `Bearer ${viewerKey}` } })).headers.get('etag');
    if (!etag) throw new Error('the list answered no ETag');
    const held = await measure('  with If-None-Match: its ETag (304)', list, [`If-None-Match=${etag}`]);
    console.log(`    (${((100 * held['3xx']) / held.requests.total).toFixed(1)}% of the answers 304: the tag holds for the minute)`);
    others.push(['If-None-Match (304)', held]);
    const select1After = await measure('bare Express GET → SELECT 1, right after the 304', bareUrl('/select1'));
    const ratio = (a: Result, b: Result) => (a.requests.average / b.requests.average).toFixed(2);
    const beside = (select1Before.requests.average + select1After.requests.average) / 2;
    console.log(`\nratio list/page: ${ratio(real, page)}`);
    console.log(`ratio list/select1: ${ratio(real, select1)}`);
    console.log(`ratio 304/select1: ${(held.requests.average / beside).toFixed(2)} (the mean of the runs right before and after it)`);
    console.log(
      `  against the run right before: ${ratio(held, select1Before)}, right after: ${ratio(held, select1After)}, the first SELECT 1 run: ${ratio(held, select1)}`,
    );
    console.log(`p99 list/page: ${(real.latency.p99 / Math.max(1, page.latency.p99)).toFixed(2)}`);
    for (const [name, r] of others) console.log(`ratio ${name}/page: ${ratio(r, page)}`);
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((ok) => s.close(ok));
    }
    await new Promise((ok) => setTimeout(ok, 2000)); // handlers of requests autocannon cut off may still be running
    await db.close();
    if (!keep) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
