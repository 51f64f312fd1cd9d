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
import pg from 'pg';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { T } from '../src/tokens';

const run = promisify(execFile);
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const SEED_MODULE = resolve(__dirname, '../../../packages/persistence-kysely/bench/seed.ts');
const DATASET = process.env.BENCH_DATASET ?? (existsSync(SEED_MODULE) ? 'persistence' : 'sync');
const PIPELINES = num('BENCH_PIPELINES', DATASET === 'sync' ? 500 : 10_000);
const RUNS = num('BENCH_RUNS', DATASET === 'sync' ? 40 : 1_000_000);
const OTHER_SPACES = num('BENCH_OTHER_SPACES', 2);
const VIEWER_EMAIL = 'bench-viewer@example.com';
const SECONDS = num('BENCH_SECONDS', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'sbx_bench_admin_key_0123456789abcdefgh';

async function admin(text: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const listen = (app: express.Express) =>
  new Promise<Server>((ok) => {
    const server = app.listen(0, '127.0.0.1', () => ok(server));
  });

interface Result {
  requests: { average: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
}

async function cannon(url: string, seconds: number, key: string): Promise<Result> {
  const bin = resolve(__dirname, '../../../node_modules/.bin/autocannon');
  const { stdout } = await run(bin, ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${key}`, url], {
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
  const config = loadConfig({ DATABASE_URL: url.toString(), SIGNALBOX_SECRET_KEY: 'bench-secret-key-0123456789', LOG_LEVEL: 'warn', SIGNALBOX_DEMO: '0' });
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
    await sql`ANALYZE`.execute(db.db);
    console.log(`PostgreSQL 15 on this machine, pool of ${config.databasePoolSize} connections shared by both servers`);

    const api = await listen((await container.getAsync(T.app)) as express.Express);
    const bare = express();
    bare.get('/select1', async (_req, res) => {
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db.db);
      res.json(rows[0]);
    });
    const bareServer = await listen(bare);
    servers.push(api, bareServer);
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v1.0/spaces/bench/orchestration/pipelines?per_page=100&days=7`;
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/select1`;

    const check = await fetch(apiUrl, { headers: { Authorization: `Bearer ${viewerKey}` } });
    if (check.status !== 200 || check.headers.get('x-total-count') !== String(PIPELINES)) throw new Error(`pipelines answered ${check.status}`);

    await cannon(bareUrl, 2, viewerKey); // warm up both
    await cannon(apiUrl, 2, viewerKey);
    const b = await cannon(bareUrl, SECONDS, viewerKey);
    const a = await cannon(apiUrl, SECONDS, viewerKey);
    for (const [name, r] of [
      ['bare', b],
      ['api', a],
    ] as const) {
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    }
    const row = (name: string, r: Result) =>
      `${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(r.latency.p99).padStart(5)} ms   avg ${r.latency.average.toFixed(1)} ms`;
    console.log(`\nautocannon -c ${CONNECTIONS} -d ${SECONDS}, as a viewer of the space, server and database on this machine`);
    console.log(row('GET …/pipelines?per_page=100&days=7', a));
    console.log(row('bare Express GET → SELECT 1 (same pool)', b));
    console.log(
      `ratio api/bare: throughput ${(a.requests.average / b.requests.average).toFixed(3)}, p99 ${(a.latency.p99 / Math.max(1, b.latency.p99)).toFixed(1)}x`,
    );
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
