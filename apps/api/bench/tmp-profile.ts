import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { T } from '../src/tokens';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'prof-'));
  const config = { ...loadConfig({ SIGNALBOX_DATA_DIR: dir, SIGNALBOX_DEMO: '0', LOG_LEVEL: 'error' }), workerPollMs: 100 };
  const container = buildContainer(config);
  const db = await container.getAsync(T.database);
  await migrateToLatest(db.db);
  const wh = container.get(T.warehouses);
  let whMs = 0;
  const orig = wh.of.bind(wh);
  (wh as any).of = (t: any) => { const w = orig(t); return { plan: w.plan.bind(w), execute: async (s: any, sig: any) => { const t0 = performance.now(); try { return await w.execute(s, sig); } finally { whMs += performance.now() - t0; } } }; };
  const services = await container.getAsync(T.services);
  const worker = await container.getAsync(T.worker);
  worker.start();
  const repos = await container.getAsync(T.repositories);
  const user = { id: '00000000-0000-4000-8000-00000000be0c', email: 'b@example.com', name: 'b', instanceAdmin: true, createdAt: new Date() };
  await repos.users.create(user);
  const root = { userId: user.id, instanceAdmin: true };
  await services.spaces.create(root, { slug: 'bench', name: 'Bench' });
  const steps = Array.from({ length: 200 }, (_, i) => ({ name: `s${i}`, config: { query_type: 'sql', query: 'select 1 as x', output_datasets: [`s${i}`], job_type: 'extract' } }));
  const id = (await services.managed.create(root, 'bench', { text: JSON.stringify({ name: 'p', steps }), format: 'json' })).pipeline.id;
  for (let k = 0; k < 3; k++) {
    whMs = 0;
    const { run } = await services.runs.trigger(root, 'bench', id, {});
    let r = (await services.runs.get(root, 'bench', run.id, 60)).run;
    while (r.status === 'running' || r.status === 'queued') r = (await services.runs.get(root, 'bench', run.id, 60)).run;
    console.log(r.status, 'run ms', r.finishedAt!.getTime() - r.startedAt!.getTime(), 'warehouse ms', whMs.toFixed(0));
  }
  await worker.stop(); await wh.close(); await db.close();
}
void main();
