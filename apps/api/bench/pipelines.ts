/*
 * `npm run bench:api`: autocannon against GET …/pipelines (per_page 100, days 7) on a seeded data
 * set, and in the same run against a bare Express route doing `SELECT 1` through the same pool,
 * so the ratio says what the API adds over the framework and the database round trip.
 *
 * Seeds its own data set through the real sync (a mock connector): BENCH_PIPELINES pipelines
 * (default 500) with BENCH_RUNS runs each (default 40), 3-5 task runs per run, in a fresh
 * PostgreSQL database (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local test server)
 * that is dropped at the end (BENCH_KEEP=1 keeps it as sbx_bench_keep and reuses it on the next
 * run). BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 50).
 *
 * The bare route is the one place outside http-express that uses Express: it is the baseline.
 */
import { execFile } from 'node:child_process';
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
const PIPELINES = num('BENCH_PIPELINES', 500);
const RUNS = num('BENCH_RUNS', 40);
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

async function cannon(url: string, seconds: number): Promise<Result> {
  const bin = resolve(__dirname, '../../../node_modules/.bin/autocannon');
  const { stdout } = await run(bin, ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${KEY}`, url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Result;
}

/** The data set: one space with a mock connector, synced, so every row went through the real write path. */
async function seed(services: Services, actor: Actor) {
  await services.spaces.create(actor, { slug: 'bench', name: 'Bench' });
  const connector = await services.connectors.create(actor, 'bench', {
    name: 'bench-mock',
    type: 'mock',
    config: { pipelines: PIPELINES, runs_per_pipeline: RUNS, seed: 11, page_cap: 500 },
  });
  const t0 = Date.now();
  const sync = await (await services.syncs.start(actor, 'bench', connector.id)).done;
  if (sync.status !== 'succeeded') throw new Error(`seeding sync failed: ${sync.error}`);
  const c = sync.counts;
  console.log(`seeded ${c.pipelines} pipelines, ${c.runs} runs, ${c.taskRuns} task runs through a sync in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function main() {
  const keep = process.env.BENCH_KEEP === '1';
  const dbName = keep ? 'sbx_bench_keep' : `sbx_bench_${process.pid}`;
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
    const seeded = await services.spaces.get(actor, 'bench').then(
      () => true,
      () => false,
    );
    if (seeded) console.log('reusing the data set kept by an earlier run (BENCH_KEEP=1)');
    else await seed(services, actor);
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

    const check = await fetch(apiUrl, { headers: { Authorization: `Bearer ${KEY}` } });
    if (check.status !== 200 || check.headers.get('x-total-count') !== String(PIPELINES)) throw new Error(`pipelines answered ${check.status}`);

    await cannon(bareUrl, 2); // warm up both
    await cannon(apiUrl, 2);
    const b = await cannon(bareUrl, SECONDS);
    const a = await cannon(apiUrl, SECONDS);
    for (const [name, r] of [['bare', b], ['api', a]] as const) {
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    }
    const row = (name: string, r: Result) =>
      `${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(r.latency.p99).padStart(5)} ms   avg ${r.latency.average.toFixed(1)} ms`;
    console.log(`\nautocannon -c ${CONNECTIONS} -d ${SECONDS}, server and database on this machine`);
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
