/**
 * The phases of a provider's sync benchmark (`npm run bench:sync`, one per provider), against a
 * stub orchestrator the caller has started:
 *   (a) paging through everything with the provider (`pipelines()`, then `changes(null)`: what a
 *       first sync reads), writing nothing;
 *   (b) a first sync through the core SyncService into PostgreSQL (a fresh schema, dropped after);
 *   (c) a second sync with no changes;
 *   (d) paging through everything once more, as (a).
 * Prints wall time, rows per second and the peak RSS of this process in each phase, and (b) and (c)
 * against paging: the mean of (a) and (d), which bracket them, so that the machine's drift over the
 * run (its speed moves by a fifth and more from minute to minute on a shared 2-core host) weighs on
 * both sides. The ratios against (a) and (d) alone are printed too.
 */
import { randomBytes } from 'node:crypto';
import { type Connector, type ConnectorType, createServices, type ProviderFactory, ProviderRegistry, randomIds } from '@signalbox/core';
import pg from 'pg';
import { kyselyPersistence, migrateToLatest, openDatabase, timeOrderedIds } from '../src';

export interface SyncBench {
  /** Names the ratios' lines: `ratio first-sync/paging (<label>)`. */
  label: string;
  /** The provider's connector type. */
  type: ConnectorType;
  factory: ProviderFactory;
  /** A connector of the stub, of the space given. */
  connectorFor: (spaceId: string, id: string) => Connector;
  /** The PostgreSQL to sync into. */
  databaseUrl: string;
  /** Page only: phase (a). */
  skipDb: boolean;
}

interface Phase {
  name: string;
  seconds: number;
  rows: number;
  peakRssMb: number;
  detail: string;
}

type Work = () => Promise<{ rows: number; detail: string }>;

/** Runs `fn` while sampling this process's RSS every 20 ms. */
async function measure(name: string, fn: Work): Promise<Phase> {
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

/** Runs the phases and prints them with their ratios. */
export async function runSyncBench(bench: SyncBench): Promise<void> {
  const { factory, connectorFor, databaseUrl } = bench;
  const phases: Phase[] = [];
  const paging: Work = async () => {
    const provider = factory.create(connectorFor('bench', 'bench'));
    let pipelines = 0;
    let runs = 0;
    let tasks = 0;
    for await (const page of provider.pipelines()) pipelines += page.length;
    for await (const change of provider.changes(null)) {
      if (change.kind === 'runs') runs += change.runs.length;
      else if (change.kind === 'taskRuns') tasks += change.taskRuns.length;
    }
    return { rows: pipelines + runs + tasks, detail: `${pipelines} pipelines, ${runs} runs, ${tasks} task runs` };
  };
  phases.push(await measure('(a) page through everything, no writes', paging));

  if (!bench.skipDb) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const database = await openDatabase({ databaseUrl, schema, poolSize: 5 });
    try {
      await migrateToLatest(database.db);
      const { repos, uow } = kyselyPersistence(database.db, { secretKey: 'benchmark secret key, not for production', ids: timeOrderedIds });
      const services = createServices({ repos, uow, registry: new ProviderRegistry().register(bench.type, factory) });
      const spaceId = randomIds.id();
      await repos.spaces.create({ id: spaceId, slug: 'bench', name: 'Bench', createdAt: new Date() });
      const connector = connectorFor(spaceId, randomIds.id());
      await repos.connectors.create(connector);

      const sync: Work = async () => {
        const fresh = (await repos.connectors.get(spaceId, connector.id))!;
        const record = await services.syncs.runNow(fresh);
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
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
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
    console.log(`\nratio first-sync/paging (${bench.label}): ${(first.seconds / base).toFixed(2)}${alone}`);
  }
  if (again) console.log(`ratio re-sync/paging (${bench.label}): ${(again.seconds / base).toFixed(2)}`);
  if (first) console.log(`peak RSS of the first sync: ${first.peakRssMb.toFixed(0)} MB`);
}
