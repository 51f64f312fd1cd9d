/*
 * `npm run bench:engine`: what the embedded engine adds to the SQL it runs.
 *
 * 1. A 3-step pipeline (extract BENCH_ROWS generated rows, default 1,000,000; transform them; load
 *    the result into a destination table) run by the engine, against the same three statements run
 *    directly (`CREATE TABLE … AS <query>`, one transaction each) through one connection of the same
 *    kind, in the same run, alternating, BENCH_REPEAT times each (default 5): medians and their ratio.
 *    On PostgreSQL (a `warehouse` connector to a fresh database of the local server) and on the
 *    embedded PGlite warehouse (a data folder, against one PGlite on a data folder of its own).
 * 2. A run of BENCH_STEPS trivial steps (default 200), against as many trivial statements run
 *    directly: the engine's overhead per step, in ms.
 *
 * The engine is the real one: the API's container with Signalbox on its embedded database, the
 * worker polling every 100 ms, a run triggered through the use case and waited for. Its time is the
 * run's as the engine recorded it (`started_at` to `finished_at`): every step with its bookkeeping,
 * not the wait in the queue before a worker takes it (printed apart). Target (issue): engine /
 * direct ≤ 1.10.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Actor, Services } from '@signalbox/core';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import pg from 'pg';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { T } from '../src/tokens';
import { BASE_URL, num, quantile } from './support';

const ROWS = num('BENCH_ROWS', 1_000_000);
const REPEAT = num('BENCH_REPEAT', 5);
const STEPS = num('BENCH_STEPS', 200);
const TARGET = 1.1;

const EXTRACT = `select g as id, g % 1000 as user_id, g % 7 as kind, timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => g) as at
  from generate_series(1, ${ROWS}) g`;
const TRANSFORM = 'select id, user_id, kind * 2 as weight, at from events where kind <> 3';
const LOAD = 'select * from weighted';

/** One connection that runs statements one at a time: the direct baseline. */
interface Direct {
  query(sql: string): Promise<unknown>;
}

const median = (xs: number[]) => quantile(xs, 0.5);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** The three statements straight on one connection, into a schema of their own. */
async function directPipeline(db: Direct): Promise<void> {
  await db.query('drop schema if exists direct cascade');
  await db.query('create schema direct');
  await db.query(`create table direct.events as ${EXTRACT}`);
  await db.query(`create table direct.weighted as ${TRANSFORM.replace('from events', 'from direct.events')}`);
  await db.query(`create table direct.user_weights as ${LOAD.replace('from weighted', 'from direct.weighted')}`);
}

async function directTrivial(db: Direct): Promise<void> {
  await db.query('drop schema if exists trivial cascade');
  await db.query('create schema trivial');
  for (let i = 0; i < STEPS; i++) await db.query(`create table trivial.s${i} as select 1 as x`);
}

const threeSteps = (name: string, warehouse: string | null) => ({
  name,
  ...(warehouse ? { warehouse } : {}),
  sources: [{ name: 'events', query: EXTRACT }],
  transforms: [{ name: 'weighted', query: TRANSFORM }],
  destinations: [{ name: 'bench.user_weights', from: 'weighted', mode: 'replace' }],
});

const trivialSteps = (name: string, warehouse: string | null) => ({
  name,
  ...(warehouse ? { warehouse } : {}),
  steps: Array.from({ length: STEPS }, (_, i) => ({
    name: `s${i}`,
    config: { query_type: 'sql', query: 'select 1 as x', output_datasets: [`s${i}`], job_type: 'extract' },
  })),
});

const queued: number[] = [];

/** Triggers a run and answers the engine's time for it: from its start to its end, as recorded. */
async function engineRun(services: Services, actor: Actor, pipelineId: string): Promise<number> {
  const { run } = await services.runs.trigger(actor, 'bench', pipelineId, {});
  const done = await services.runs.get(actor, 'bench', run.id, { seconds: 60 });
  let finished = done.run;
  while (!['success', 'failed', 'canceled'].includes(finished.status)) finished = (await services.runs.get(actor, 'bench', run.id, { seconds: 60 })).run;
  if (finished.status !== 'success') throw new Error(`the run ${finished.status}: ${finished.managed?.error?.message}`);
  queued.push((finished.startedAt as Date).getTime() - (finished.queuedAt as Date).getTime());
  return (finished.finishedAt as Date).getTime() - (finished.startedAt as Date).getTime();
}

interface Row {
  warehouse: string;
  engine: number;
  direct: number;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'signalbox-bench-engine-'));
  const dbName = `sbx_bench_engine_${process.pid}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dwUrl = new URL(BASE_URL);
  dwUrl.pathname = `/${dbName}`;

  const config = { ...loadConfig({ SIGNALBOX_DATA_DIR: join(dir, 'signalbox'), SIGNALBOX_DEMO: '0', LOG_LEVEL: 'error' }), workerPollMs: 100 };
  const container = buildContainer(config);
  const db = await container.getAsync(T.database);
  await migrateToLatest(db.db);
  const services = await container.getAsync(T.services);
  const worker = await container.getAsync(T.worker);
  worker.start();
  const pgDirect = new pg.Client({ connectionString: dwUrl.toString() });
  await pgDirect.connect();
  const lite = new PGlite(join(dir, 'direct-pglite'));
  try {
    const user = { id: '00000000-0000-4000-8000-00000000be0c', email: 'bench@example.com', name: 'bench', instanceAdmin: true, createdAt: new Date() };
    await (await container.getAsync(T.repositories)).users.create(user);
    const root = { userId: user.id, instanceAdmin: true };
    await services.spaces.create(root, { slug: 'bench', name: 'Bench' });
    await services.connectors.create(root, 'bench', { name: 'dw', type: 'warehouse', config: { url: dwUrl.toString() } });
    const define = async (definition: Record<string, unknown>) =>
      (await services.managed.create(root, 'bench', { text: JSON.stringify(definition), format: 'json' })).pipeline.id;

    const directs: Record<string, Direct> = {
      postgresql: { query: (q) => pgDirect.query(q) },
      'embedded PGlite': { query: (q) => lite.query(q) },
    };
    const pipelines = {
      postgresql: { three: await define(threeSteps('three-pg', 'dw')), trivial: await define(trivialSteps('trivial-pg', 'dw')) },
      'embedded PGlite': { three: await define(threeSteps('three-lite', null)), trivial: await define(trivialSteps('trivial-lite', null)) },
    };

    const three: Row[] = [];
    const trivial: Row[] = [];
    for (const [warehouse, direct] of Object.entries(directs)) {
      const ids = pipelines[warehouse as keyof typeof pipelines];
      // A first run of each opens the warehouse and warms both sides; it is not counted.
      await engineRun(services, root, ids.three);
      await directPipeline(direct);
      const engineTimes: number[] = [];
      const directTimes: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        engineTimes.push(await engineRun(services, root, ids.three));
        directTimes.push(await timed(() => directPipeline(direct)));
      }
      three.push({ warehouse, engine: median(engineTimes), direct: median(directTimes) });

      await engineRun(services, root, ids.trivial);
      await directTrivial(direct);
      const e: number[] = [];
      const d: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        e.push(await engineRun(services, root, ids.trivial));
        d.push(await timed(() => directTrivial(direct)));
      }
      trivial.push({ warehouse, engine: median(e), direct: median(d) });
    }

    console.log(`\n3 steps, ${ROWS.toLocaleString('en')} rows extracted (median of ${REPEAT}):`);
    console.log('warehouse          engine ms   direct ms   ratio   target');
    for (const r of three) {
      const ratio = r.engine / r.direct;
      console.log(
        `${r.warehouse.padEnd(18)} ${r.engine.toFixed(0).padStart(9)}   ${r.direct.toFixed(0).padStart(9)}   ${ratio.toFixed(3)}   ${ratio <= TARGET ? `≤ ${TARGET} met` : `> ${TARGET} MISSED`}`,
      );
    }
    console.log(`\nwaited in the queue before a worker took the run: median ${median(queued)} ms (worker polling every ${config.workerPollMs} ms)`);
    console.log(`\n${STEPS} trivial steps (median of ${REPEAT}):`);
    console.log('warehouse          engine ms   direct ms   overhead per step ms');
    for (const r of trivial) {
      console.log(
        `${r.warehouse.padEnd(18)} ${r.engine.toFixed(0).padStart(9)}   ${r.direct.toFixed(0).padStart(9)}   ${((r.engine - r.direct) / STEPS).toFixed(2)}`,
      );
    }
  } finally {
    await worker.stop();
    await (await container.getAsync(T.warehouses)).close();
    await db.close();
    await pgDirect.end().catch(() => undefined);
    await lite.close().catch(() => undefined);
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
