/**
 * Sync benchmark of the Airflow provider: a stub Airflow with 2,000 DAGs, 100,000 runs and 500,000
 * task instances (page cap 100) in a child process on loopback, then the phases of
 * packages/persistence-kysely/bench/sync-phases.ts: paging (a), a first sync into PostgreSQL (b), a
 * second sync with nothing changed (c) and paging again (d), each sync against paging.
 *
 *   npm run bench:sync [-- --api v1|v2 --dags N --runs N --tasks N --skip-db]
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the PostgreSQL to use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Connector, newConnector } from '@signalbox/core';
import { runSyncBench } from '../../persistence-kysely/bench/sync-phases';
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
  try {
    await runSyncBench({
      label: API,
      type: 'airflow',
      factory: airflowProviderFactory({ pageSize: 100 }),
      connectorFor: (spaceId, id) => connectorFor(url, spaceId, id),
      databaseUrl: DATABASE_URL,
      skipDb: SKIP_DB,
    });
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
