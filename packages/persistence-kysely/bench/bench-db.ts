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
import { type PipelineListQuery, randomIds, type Repositories } from '@signalbox/core';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { type Database, kyselyRepositories, migrateToLatest, openDatabase, type Schema } from '../src/index';
import { SEARCH_TEXT } from '../src/kysely-pipeline-repository';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const PIPELINES = env('BENCH_PIPELINES', 10_000);
const RUNS = env('BENCH_RUNS', 1_000_000);
const OTHER_SPACES = env('BENCH_OTHER_SPACES', 2);
const ITERATIONS = env('BENCH_ITERATIONS', 100);
const TARGETS = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',').map((t) => t.trim());
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const WINDOW_DAYS = 30; // runs are spread over the last 30 days; the list summarises the last 7
const DAY_MS = 86_400_000;

interface Seeded {
  spaceId: string;
  viewerId: string;
  airflowConnectorId: string;
  busyPipelineId: string;
  teamId: string;
}

const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function seedSpace(db: Kysely<Schema>, slug: string, pipelines: number, runs: number, viewerId: string): Promise<Seeded> {
  const spaceId = randomIds.id();
  const connectors = [randomIds.id(), randomIds.id()];
  const teams = Array.from({ length: 10 }, () => randomIds.id());
  await sql`INSERT INTO spaces (id, slug, name, created_at) VALUES (${spaceId}::uuid, ${slug}, ${slug}, now())`.execute(db);
  await sql`INSERT INTO memberships (space_id, user_id, role, created_at) VALUES (${spaceId}::uuid, ${viewerId}::uuid, 'viewer', now())`.execute(db);
  await sql`
    INSERT INTO connectors (id, space_id, name, type, config, created_at, updated_at)
    VALUES (${connectors[0]}::uuid, ${spaceId}::uuid, 'airflow-prod', 'airflow', '{}', now(), now()),
           (${connectors[1]}::uuid, ${spaceId}::uuid, 'mock', 'mock', '{}', now(), now())`.execute(db);
  await sql`
    INSERT INTO teams (id, space_id, name, created_at)
    SELECT t.id, ${spaceId}::uuid, 'team ' || t.n, now()
    FROM unnest(${`{${teams.join(',')}}`}::uuid[]) WITH ORDINALITY AS t(id, n)`.execute(db);
  // Names from a hash, so that name order is not insertion order.
  await sql`
    INSERT INTO pipelines (id, space_id, connector_id, provider, external_id, name, description, owner, tags, schedule,
                           paused, team_id, criticality, created_at, updated_at)
    SELECT gen_random_uuid(), ${spaceId}::uuid,
           CASE WHEN g % 2 = 0 THEN ${connectors[0]}::uuid ELSE ${connectors[1]}::uuid END,
           CASE WHEN g % 2 = 0 THEN 'airflow' ELSE 'mock' END,
           'dag_' || g,
           'pipeline ' || substr(md5(g::text), 1, 10),
           'Loads table ' || substr(md5((g * 7)::text), 1, 12) || ' into the warehouse',
           (ARRAY['data-eng', 'analytics', 'finance', 'ml-platform'])[1 + g % 4],
           ARRAY['domain-' || (g % 25), 'tier-' || (g % 3)],
           '@hourly',
           g % 20 = 0,
           (${`{${teams.join(',')}}`}::uuid[])[1 + g % 10],
           (ARRAY['low', 'medium', 'high', 'critical', NULL])[1 + g % 5],
           now(), now()
    FROM generate_series(1, ${pipelines}::int) AS g`.execute(db);
  await sql`UPDATE pipelines p SET search_text = ${sql.raw(SEARCH_TEXT('p'))} WHERE p.space_id = ${spaceId}::uuid`.execute(db);
  const perPipeline = Math.max(1, Math.round(runs / pipelines));
  // Runs spread evenly over the window; 10% failed, a few running; durations 1 to 61 minutes.
  await sql`
    INSERT INTO runs (id, space_id, connector_id, pipeline_id, external_id, status, native_status, run_type, started_at,
                      finished_at, duration_seconds, run_at, created_at, updated_at)
    SELECT gen_random_uuid(), p.space_id, p.connector_id, p.id, 'scheduled__' || r, x.status, x.status, 'scheduled',
           x.started_at, CASE WHEN x.status = 'running' THEN NULL ELSE x.started_at + make_interval(secs => x.duration) END,
           CASE WHEN x.status = 'running' THEN NULL ELSE x.duration END, x.started_at, now(), now()
    FROM pipelines p
    CROSS JOIN generate_series(1, ${perPipeline}::int) AS r
    CROSS JOIN LATERAL (
      SELECT CASE WHEN r = 1 AND random() < 0.05 THEN 'running' WHEN random() < 0.1 THEN 'failed' ELSE 'success' END AS status,
             now() - make_interval(secs => (r - 1 + random()) * ${(WINDOW_DAYS * 86400) / perPipeline}::float8) AS started_at,
             60 + random() * 3600 AS duration
    ) x
    WHERE p.space_id = ${spaceId}::uuid`.execute(db);
  await sql`
    UPDATE pipelines p SET last_run_status = l.status, last_run_at = l.run_at
    FROM (SELECT DISTINCT ON (pipeline_id) pipeline_id, status, run_at FROM runs WHERE space_id = ${spaceId}::uuid
          ORDER BY pipeline_id, run_at DESC, id DESC) l
    WHERE p.id = l.pipeline_id`.execute(db);
  // The viewer watches every 50th pipeline.
  await sql`
    INSERT INTO watches (space_id, pipeline_id, user_id, created_at)
    SELECT space_id, id, ${viewerId}::uuid, now() FROM pipelines
    WHERE space_id = ${spaceId}::uuid AND external_id ~ '^dag_[0-9]*0$' AND (substr(external_id, 5)::int % 50) = 0`.execute(db);
  const busy = await sql<{ id: string }>`SELECT id FROM pipelines WHERE space_id = ${spaceId}::uuid AND external_id = 'dag_2'`.execute(db);
  return { spaceId, viewerId, airflowConnectorId: connectors[0], busyPipelineId: busy.rows[0].id, teamId: teams[3] };
}

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
      ['pipeline list, status=active provider=airflow', () => list({ status: 'active', provider: 'airflow' })],
      ['pipeline list, status=error', () => list({ status: 'error' })],
      ['pipeline list, criticality=high team_id=…', () => list({ criticality: 'high', teamId: main.teamId })],
      ['pipeline list, q="warehouse" (matches all)', () => list({ q: 'warehouse' })],
      ['pipeline list, q="domain-7" (tags, 4%)', () => list({ q: 'domain-7' })],
      ['pipeline list, q="ab1" (rare)', () => list({ q: 'ab1' })],
      ['pipeline list, watched_only', () => list({ watchedOnly: true })],
      ['pipeline view (one, with summary)', () => repos.pipelines.view(main.spaceId, main.busyPipelineId, viewerId, new Date(now - 7 * DAY_MS), 7)],
      ['run list of one pipeline, page 1', () => repos.runs.listForPipeline(main.spaceId, main.busyPipelineId, {}, { page: 1, perPage: 100 })],
      ['run list of one pipeline, status=failed', () => repos.runs.listForPipeline(main.spaceId, main.busyPipelineId, { status: 'failed' }, { page: 1, perPage: 100 })],
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
