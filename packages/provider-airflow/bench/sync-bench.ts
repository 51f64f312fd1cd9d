/**
 * Sync benchmark: a stub Airflow with 2,000 DAGs, 100,000 runs and 500,000 task instances (page cap
 * 100) in a child process on loopback, then
 *   (a) paging through everything with the provider, writing nothing;
 *   (b) a first sync through the core SyncService into PostgreSQL (a fresh schema, dropped after);
 *   (c) a second sync with no changes;
 *   (d) paging through everything once more, as (a).
 * Prints wall time, rows per second and the peak RSS of this process in each phase, and (b) and (c)
 * against paging: the mean of (a) and (d), which bracket them, so that the machine's drift over the
 * run (its speed moves by a fifth from minute to minute on a shared 2-core host) weighs on both
 * sides; the ratios against (a) and (d) alone are printed too.
 *
 *   npm run bench:sync [-- --api v1|v2 --dags N --runs N --tasks N --skip-db]
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the PostgreSQL to use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Connector, createServices, newConnector, ProviderRegistry, randomIds, type SyncRecord } from '@signalbox/core';
import { kyselyPersistence, migrateToLatest, openDatabase, timeOrderedIds } from '@signalbox/persistence-kysely';
import pg from 'pg';
import { airflowProviderFactory } from '../src';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const API = arg('api', 'v2');
const DAGS = Number(arg('dags', '2000'));
const RUNS = Number(arg('runs', '100000'));
const TASKS = Number(arg('tasks', '500000'));
const SKIP_DB = process.argv.includes('--skip-db');
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

interface Phase {
  name: string;
  seconds: number;
  rows: number;
  peakRssMb: number;
  detail: string;
}

/** Runs `fn` while sampling this process's RSS every 20 ms. */
async function measure(name: string, fn: () => Promise<{ rows: number; detail: string }>): Promise<Phase> {
  global.gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t0 = process.hrtime.bigint();
  try {
    const { rows, detail } = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { name, seconds, rows, peakRssMb: peak / 2 ** 20, detail };
  } finally {
    clearInterval(timer);
  }
}

async function startStubProcess(): Promise<{ url: string; child: ChildProcess }> {
  const cli = join(__dirname, '..', '..', 'airflow-stub', 'src', 'cli.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, '--api', API, '--dags', String(DAGS), '--runs', String(RUNS), '--tasks', String(TASKS), '--page-limit', '100'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

function connectorFor(url: string, spaceId: string, id: string): Connector {
  return newConnector(
    { id, spaceId, name: 'bench airflow', type: 'airflow', config: { base_url: url, api_version: API, username: 'admin', password: 'admin' } },
    new Date(),
  );
}

async function main() {
  const t = Date.now();
  const { url, child } = await startStubProcess();
  console.log(
    `stub Airflow ${API} at ${url}: ${DAGS} DAGs, ${RUNS} runs, ${TASKS} task instances, page cap 100 (ready in ${((Date.now() - t) / 1000).toFixed(1)} s)`,
  );
  const phases: Phase[] = [];
  const factory = airflowProviderFactory({ pageSize: 100 });
  const registry = new ProviderRegistry().register('airflow', factory);

  try {
    const paging = async (): Promise<{ rows: number; detail: string }> => {
      const provider = factory.create(connectorFor(url, 'bench', 'bench'));
      let pipelines = 0;
      let runs = 0;
      let tasks = 0;
      for await (const page of provider.pipelines()) pipelines += page.length;
      // What a first sync reads: its look-back window (30 days) covers all generated rows.
      for await (const change of provider.changes(null)) {
        if (change.kind === 'runs') runs += change.runs.length;
        else if (change.kind === 'taskRuns') tasks += change.taskRuns.length;
      }
      return { rows: pipelines + runs + tasks, detail: `${pipelines} pipelines, ${runs} runs, ${tasks} task runs` };
    };
    phases.push(await measure('(a) page through everything, no writes', paging));

    if (!SKIP_DB) {
      const schema = `bench_${randomBytes(4).toString('hex')}`;
      const database = await openDatabase({ databaseUrl: DATABASE_URL, schema, poolSize: 5 });
      try {
        await migrateToLatest(database.db);
        const { repos, uow } = kyselyPersistence(database.db, { secretKey: 'benchmark secret key, not for production', ids: timeOrderedIds });
        const services = createServices({ repos, uow, registry });
        const spaceId = randomIds.id();
        await repos.spaces.create({ id: spaceId, slug: 'bench', name: 'Bench', createdAt: new Date() });
        const connector = connectorFor(url, spaceId, randomIds.id());
        await repos.connectors.create(connector);

        const sync = async (): Promise<{ rows: number; detail: string }> => {
          const fresh = (await repos.connectors.get(spaceId, connector.id))!;
          const record: SyncRecord = await services.syncs.runNow(fresh);
          if (record.status !== 'succeeded') throw new Error(`sync failed: ${record.error}`);
          const c = record.counts;
          return { rows: c.pipelines + c.runs + c.taskRuns, detail: `${c.pipelines} pipelines, ${c.runs} runs, ${c.taskRuns} task runs written` };
        };
        phases.push(await measure('(b) first sync into PostgreSQL', sync));
        phases.push(await measure('(c) second sync, nothing changed', sync));
        phases.push(await measure('(d) page through everything again, no writes', paging));
        const count = async (table: 'pipelines' | 'runs' | 'task_runs') =>
          Number(
            (
              await database.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<string>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        console.log(`stored: ${await count('pipelines')} pipelines, ${await count('runs')} runs, ${await count('task_runs')} task runs`);
      } finally {
        await database.close();
        const admin = new pg.Client({ connectionString: DATABASE_URL });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
    }
  } finally {
    child.kill('SIGTERM');
  }

  const [before, first, again, after] = phases;
  // Paging, as the ratios take it: the mean of the runs before and after the syncs.
  const base = after ? (before.seconds + after.seconds) / 2 : before.seconds;
  console.log(`\n| phase | wall s | rows | rows/s | peak RSS MB | vs paging${after ? ' (mean of (a) and (d))' : ''} | detail |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const p of phases) {
    console.log(
      `| ${p.name} | ${p.seconds.toFixed(1)} | ${p.rows} | ${Math.round(p.rows / p.seconds)} | ${p.peakRssMb.toFixed(0)} | ${(p.seconds / base).toFixed(2)}x | ${p.detail} |`,
    );
  }
  if (first) {
    const alone = after ? ` (against (a) alone: ${(first.seconds / before.seconds).toFixed(2)}, (d) alone: ${(first.seconds / after.seconds).toFixed(2)})` : '';
    console.log(`\nratio first-sync/paging (${API}): ${(first.seconds / base).toFixed(2)}${alone}`);
  }
  if (again) console.log(`ratio re-sync/paging (${API}): ${(again.seconds / base).toFixed(2)}`);
  if (first) console.log(`peak RSS of the first sync: ${first.peakRssMb.toFixed(0)} MB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
