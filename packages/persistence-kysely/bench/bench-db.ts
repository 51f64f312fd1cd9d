/*
 * Database benchmark: seeds one space with many pipelines and runs (plus other spaces, so the
 * space filter has rows to skip), then times the pipeline list page and a pipeline's run list
 * through the repositories, next to a plain `SELECT * FROM pipelines LIMIT 100` as the baseline.
 * Prints medians, p99 and the ratio of each median to the baseline's, for PostgreSQL and PGlite.
 *
 *   npm run bench:db                                   full scale: 10,000 pipelines, 1,000,000 runs
 *   BENCH_PIPELINES=1000 BENCH_RUNS=50000 npm run bench:db      a quick run
 *
 * Env: BENCH_PIPELINES, BENCH_RUNS (target space), BENCH_OTHER_SPACES (default 2, each with half
 * the pipelines and runs), BENCH_ITERATIONS (default 100), BENCH_TARGETS (default
 * "postgres,pglite"), BENCH_DATABASE_URL (default TEST_DATABASE_URL or the local test database;
 * the benchmark works in a schema of its own and drops it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineListQuery, type Repositories, randomIds } from '@signalbox/core';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, kyselyRepositories, migrateToLatest, openDatabase } from '../src/index';
import { seedSpace } from './seed';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const PIPELINES = env('BENCH_PIPELINES', 10_000);
const RUNS = env('BENCH_RUNS', 1_000_000);
const OTHER_SPACES = env('BENCH_OTHER_SPACES', 2);
const ITERATIONS = env('BENCH_ITERATIONS', 100);
const TARGETS = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',').map((t) => t.trim());
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DAY_MS = 86_400_000;
const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(5, ITERATIONS); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

async function runTarget(target: string) {
  let database: Database;
  let cleanup = async () => {};
  if (target === 'postgres') {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    database = await openDatabase({ databaseUrl: DATABASE_URL, schema, poolSize: 4 });
    cleanup = async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    };
  } else if (target === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'signalbox-bench-'));
    database = await openDatabase({ dataDir: dir });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    throw new Error(`unknown target '${target}'`);
  }
  try {
    await migrateToLatest(database.db);
    const db = database.db;
    const viewerId = randomIds.id();
    await sql`INSERT INTO users (id, email, name, created_at) VALUES (${viewerId}::uuid, 'bench@example.com', 'Bench', now())`.execute(db);
    const started = Date.now();
    const main = await seedSpace(db, 'bench', PIPELINES, RUNS, viewerId);
    for (let i = 0; i < OTHER_SPACES; i++) await seedSpace(db, `other-${i}`, Math.ceil(PIPELINES / 2), Math.ceil(RUNS / 2), viewerId);
    await sql`VACUUM ANALYZE`.execute(db);
    // Flush the seed now, so that a checkpoint of two million fresh rows does not run during the timings.
    await sql`CHECKPOINT`.execute(db);
    const counts = await sql<{ pipelines: number; runs: number }>`
      SELECT (SELECT count(*)::int FROM pipelines) AS pipelines, (SELECT count(*)::int FROM runs) AS runs`.execute(db);
    log(
      `\n## ${target}: seeded ${counts.rows[0].pipelines.toLocaleString('en')} pipelines and ${counts.rows[0].runs.toLocaleString('en')} runs ` +
        `(${PIPELINES.toLocaleString('en')} / ${RUNS.toLocaleString('en')} in the measured space) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${ITERATIONS} iterations each\n`,
    );

    const repos: Repositories = kyselyRepositories(db, { secretKey: 'benchmark secret key', ids: randomIds });
    const now = Date.now();
    const list = (filter: PipelineListQuery['filter'], page = 1): Promise<unknown> =>
      repos.pipelines.list(main.spaceId, {
        filter,
        page: { page, perPage: 100 },
        viewerId,
        since: new Date(now - 7 * DAY_MS),
        days: 7,
      });
    const cases: [string, () => Promise<unknown>][] = [
      ['baseline: SELECT * FROM pipelines LIMIT 100', () => db.selectFrom('pipelines').selectAll().limit(100).execute()],
      ['pipeline list, page 1, no filter', () => list({})],
      ['pipeline list, page 50 (offset 4,900)', () => list({}, 50)],
      ['pipeline list, status=active provider=airflow', () => list({ status: ['active'], provider: ['airflow'] })],
      ['pipeline list, status=error', () => list({ status: ['error'] })],
      ['pipeline list, criticality=high team_id=…', () => list({ criticality: ['high'], teamId: main.teamId })],
      ['pipeline list, q="warehouse" (matches all)', () => list({ q: 'warehouse' })],
      ['pipeline list, q="domain-7" (tags, 4%)', () => list({ q: 'domain-7' })],
      ['pipeline list, q="ab1" (rare)', () => list({ q: 'ab1' })],
      ['pipeline list, watched_only', () => list({ watchedOnly: true })],
      ['pipeline view (one, with summary)', () => repos.pipelines.view(main.spaceId, main.busyPipelineId, viewerId, new Date(now - 7 * DAY_MS), 7)],
      ['run list of one pipeline, page 1', () => repos.runs.listForPipeline(main.spaceId, main.busyPipelineId, {}, { page: 1, perPage: 100 })],
      [
        'run list of one pipeline, status=failed',
        () => repos.runs.listForPipeline(main.spaceId, main.busyPipelineId, { status: ['failed'] }, { page: 1, perPage: 100 }),
      ],
    ];
    const rows: [string, number, number, number][] = [];
    let baseline = 0;
    for (const [name, fn] of cases) {
      const samples = await time(fn);
      const median = quantile(samples, 0.5);
      if (rows.length === 0) baseline = median;
      rows.push([name, median, quantile(samples, 0.99), median / baseline]);
    }
    log('| query | median ms | p99 ms | × baseline |');
    log('| --- | ---: | ---: | ---: |');
    for (const [name, median, p99, ratio] of rows) log(`| ${name} | ${median.toFixed(2)} | ${p99.toFixed(2)} | ${ratio.toFixed(1)} |`);
  } finally {
    await database.close();
    await cleanup();
  }
}

async function main() {
  log(`# bench:db — ${new Date().toISOString()}, node ${process.version}`);
  for (const target of TARGETS) await runTarget(target);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
