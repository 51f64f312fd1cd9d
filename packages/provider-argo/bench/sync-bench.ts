/**
 * Sync benchmark: a stub Argo Server with 2,000 WorkflowTemplates and 100,000 Workflows (up to 4
 * pods each, a share served from the archive) in a child process on loopback, then
 *   (a) paging through everything with the provider (`pipelines()` and `changes(null)`), writing nothing;
 *   (b) a first sync through the core SyncService into PostgreSQL (a fresh schema, dropped after);
 *   (c) a second sync with no changes.
 * Prints wall time, rows per second, the peak RSS of this process in each phase, and (b)/(a), (c)/(a).
 *
 *   npm run bench:sync -- --provider argo [--templates N --crons N --workflows N --nodes N
 *     --archived-share F --max-limit N --page-size N --skip-db --stub-cpu-prof DIR]
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the PostgreSQL to use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Connector, createServices, newConnector, ProviderRegistry, randomIds, type SyncRecord } from '@signalbox/core';
import { kyselyPersistence, migrateToLatest, openDatabase, timeOrderedIds } from '@signalbox/persistence-kysely';
import pg from 'pg';
import { argoProviderFactory } from '../src';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const TEMPLATES = Number(arg('templates', '2000'));
const CRONS = Number(arg('crons', '20'));
const WORKFLOWS = Number(arg('workflows', '100000'));
const NODES = Number(arg('nodes', '4'));
const ARCHIVED_SHARE = Number(arg('archived-share', '0.2'));
const MAX_LIMIT = Number(arg('max-limit', '500'));
const PAGE_SIZE = Number(arg('page-size', '100'));
const SKIP_DB = process.argv.includes('--skip-db');
// A directory to write a CPU profile of the stub's process to (profile this one with `node --cpu-prof --import tsx …`).
const STUB_PROFILE = arg('stub-cpu-prof', '');
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

interface Stub {
  url: string;
  namespace: string;
  token: string;
  child: ChildProcess;
}

async function startStubProcess(): Promise<Stub> {
  const cli = join(__dirname, '..', '..', 'argo-stub', 'src', 'cli.ts');
  const flags = {
    templates: TEMPLATES,
    crons: CRONS,
    workflows: WORKFLOWS,
    nodes: NODES,
    'archived-share': ARCHIVED_SHARE,
    'max-limit': MAX_LIMIT,
    // Requests are checked against the swagger files by the stub's own tests; here it would be the stub's cost.
    validate: 'false',
  };
  const prof = STUB_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', STUB_PROFILE] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', cli, ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
  const { url, namespace, token } = JSON.parse(line) as { url: string; namespace: string; token: string };
  return { url, namespace, token, child };
}

function connectorFor(stub: Stub, spaceId: string, id: string): Connector {
  return newConnector(
    {
      id,
      spaceId,
      name: 'bench argo',
      type: 'argo',
      config: { base_url: stub.url, namespace: stub.namespace, token: stub.token, warehouse_secret: { name: 'warehouse', key: 'url' } },
    },
    new Date(),
  );
}

async function main() {
  const t = Date.now();
  const stub = await startStubProcess();
  console.log(
    `stub Argo at ${stub.url}: ${TEMPLATES} WorkflowTemplates, ${CRONS} CronWorkflows, ${WORKFLOWS} Workflows (up to ${NODES} pods each, ` +
      `${ARCHIVED_SHARE * 100}% of the finished ones archived), limit cap ${MAX_LIMIT}, provider page size ${PAGE_SIZE} ` +
      `(ready in ${((Date.now() - t) / 1000).toFixed(1)} s)`,
  );
  const phases: Phase[] = [];
  const factory = argoProviderFactory({ pageSize: PAGE_SIZE });
  const registry = new ProviderRegistry().register('argo', factory);

  try {
    phases.push(
      await measure('(a) page through everything, no writes', async () => {
        const provider = factory.create(connectorFor(stub, 'bench', 'bench'));
        let pipelines = 0;
        let runs = 0;
        let tasks = 0;
        for await (const page of provider.pipelines()) pipelines += page.length;
        // What a first sync reads: without a cursor, every workflow, then every workflow's nodes.
        for await (const change of provider.changes(null)) {
          if (change.kind === 'runs') runs += change.runs.length;
          else if (change.kind === 'taskRuns') tasks += change.taskRuns.length;
        }
        return { rows: pipelines + runs + tasks, detail: `${pipelines} pipelines, ${runs} runs, ${tasks} task runs` };
      }),
    );

    if (!SKIP_DB) {
      const schema = `bench_${randomBytes(4).toString('hex')}`;
      const database = await openDatabase({ databaseUrl: DATABASE_URL, schema, poolSize: 5 });
      try {
        await migrateToLatest(database.db);
        const { repos, uow } = kyselyPersistence(database.db, { secretKey: 'benchmark secret key, not for production', ids: timeOrderedIds });
        const services = createServices({ repos, uow, registry });
        const spaceId = randomIds.id();
        await repos.spaces.create({ id: spaceId, slug: 'bench', name: 'Bench', createdAt: new Date() });
        const connector = connectorFor(stub, spaceId, randomIds.id());
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
    stub.child.kill('SIGTERM');
  }

  const base = phases[0].seconds;
  console.log('\n| phase | wall s | rows | rows/s | peak RSS MB | vs (a) | detail |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const p of phases) {
    console.log(
      `| ${p.name} | ${p.seconds.toFixed(1)} | ${p.rows} | ${Math.round(p.rows / p.seconds)} | ${p.peakRssMb.toFixed(0)} | ${(p.seconds / base).toFixed(2)}x | ${p.detail} |`,
    );
  }
  console.log('');
  if (phases.length >= 3) {
    console.log(`ratio first-sync/paging (argo): ${(phases[1].seconds / base).toFixed(2)}`);
    console.log(`ratio re-sync/paging (argo): ${(phases[2].seconds / base).toFixed(2)}`);
  }
  console.log(`peak RSS (argo): ${Math.max(...phases.map((p) => p.peakRssMb)).toFixed(0)} MB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
