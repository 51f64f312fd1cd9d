/**
 * Sync benchmark of the Argo provider: a stub Argo Server with 2,000 WorkflowTemplates and 100,000
 * Workflows (up to 4 pods each, a share served from the archive) in a child process on loopback,
 * then the phases of packages/persistence-kysely/bench/sync-phases.ts: paging (a), a first sync
 * into PostgreSQL (b), a second sync with nothing changed (c) and paging again (d), each sync
 * against paging.
 *
 *   npm run bench:sync -- --provider argo [--templates N --crons N --workflows N --nodes N
 *     --archived-share F --max-limit N --page-size N --skip-db --stub-cpu-prof DIR]
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the PostgreSQL to use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Connector, newConnector } from '@signalbox/core';
import { runSyncBench } from '../../persistence-kysely/bench/sync-phases';
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
  try {
    await runSyncBench({
      label: 'argo',
      type: 'argo',
      factory: argoProviderFactory({ pageSize: PAGE_SIZE }),
      connectorFor: (spaceId, id) => connectorFor(stub, spaceId, id),
      databaseUrl: DATABASE_URL,
      skipDb: SKIP_DB,
    });
  } finally {
    stub.child.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
