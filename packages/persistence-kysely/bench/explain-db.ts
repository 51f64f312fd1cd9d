/*
 * Prints PostgreSQL's plans (EXPLAIN ANALYZE, BUFFERS) of the statements the pipeline list and
 * the run list send, on the benchmark's data set, to see which index serves what.
 *   npx tsx packages/persistence-kysely/bench/explain-db.ts      (BENCH_PIPELINES, BENCH_RUNS as bench:db)
 */
import { randomBytes } from 'node:crypto';
import { type PipelineListQuery, randomIds } from '@signalbox/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { kyselyRepositories, migrateToLatest, type Schema } from '../src/index';
import { seedSpace } from './seed';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const PIPELINES = env('BENCH_PIPELINES', 10_000);
const RUNS = env('BENCH_RUNS', 1_000_000);
const DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DAY_MS = 86_400_000;

async function main() {
  const schema = `explain_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path = ${schema}`);
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
  let captured: { sql: string; parameters: readonly unknown[] }[] = [];
  const db = new Kysely<Schema>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  try {
    await migrateToLatest(db);
    const viewerId = randomIds.id();
    await sql`INSERT INTO users (id, email, name, created_at) VALUES (${viewerId}::uuid, 'x@example.com', 'X', now())`.execute(db);
    const main = await seedSpace(db, 'explain', PIPELINES, RUNS, viewerId);
    await seedSpace(db, 'other', Math.ceil(PIPELINES / 2), Math.ceil(RUNS / 2), viewerId);
    await sql`VACUUM ANALYZE`.execute(db);
    const repos = kyselyRepositories(db, { secretKey: 'explain secret key', ids: randomIds });
    const list = (filter: PipelineListQuery['filter'], page = 1) =>
      repos.pipelines.list(main.spaceId, { filter, page: { page, perPage: 100 }, viewerId, since: new Date(Date.now() - 7 * DAY_MS), days: 7 });
    const cases: [string, () => Promise<unknown>][] = [
      ['pipeline list, page 1, no filter', () => list({})],
      ['pipeline list, q="ab1"', () => list({ q: 'ab1' })],
      ['pipeline list, watched_only', () => list({ watchedOnly: true })],
      ['run list of one pipeline', () => repos.runs.listForPipeline(main.spaceId, main.busyPipelineId, {}, { page: 1, perPage: 100 })],
    ];
    for (const [name, fn] of cases) {
      captured = [];
      await fn();
      const statements = captured;
      for (const [i, s] of statements.entries()) {
        const plan = await admin.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${s.sql}`, [...s.parameters]);
        process.stdout.write(`\n### ${name} — statement ${i + 1} of ${statements.length}\n`);
        for (const row of plan.rows) process.stdout.write(`${row['QUERY PLAN']}\n`);
      }
    }
  } finally {
    await db.destroy();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
