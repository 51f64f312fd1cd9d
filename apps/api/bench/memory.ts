/*
 * `npm run bench:memory`: the API's resident memory under a mixed load, as `npm start` runs it in
 * a process of its own (its worker threads, and any child process it starts, counted).
 *
 * On a fresh data folder: a first start (migrations, the demo and its first sync), stopped; then a
 * warm start, and BENCH_MINUTES (default 10) of load by BENCH_CLIENTS (default 4) clients at once,
 * each looping over what a user of the API and its console does: the pipeline list, the list with
 * a sparse fieldset, a pipeline's detail, a trigger, the run it made, a comment on it, and, every
 * 50 loops, a sync of the demo's connector. It prints the resident memory at the start, after each
 * minute and at the end, then the peak and the growth over the second half of the run.
 * On the embedded database, then on PostgreSQL (a fresh database of BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL, else the local test server, dropped at the end); BENCH_ONLY=embedded or
 * BENCH_ONLY=postgres runs one of them. Rate limits are off, as in the other benchmarks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { num, onEachDatabase, rssMb, start, stop } from './support';

const MINUTES = num('BENCH_MINUTES', 10);
const CLIENTS = num('BENCH_CLIENTS', 4);
const ONLY = process.env.BENCH_ONLY;

async function load(url: string, key: string, until: number): Promise<number> {
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  const base = `${url}/api/v1.0/spaces/demo`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const pipelines = ((await call('GET', '/orchestration/pipelines?per_page=100')) as { id: string; paused: boolean; origin: string }[]).filter(
    (p) => !p.paused && p.origin === 'synced',
  );
  const connectors = (await call('GET', '/connectors')) as { id: string; type: string }[];
  const mock = connectors.find((c) => c.type === 'mock');
  if (pipelines.length === 0 || !mock) throw new Error('the demo has no synced pipeline or no mock connector');
  let requests = 0;
  const client = async (n: number) => {
    for (let i = n; Date.now() < until; i += CLIENTS) {
      const p = pipelines[i % pipelines.length];
      await call('GET', '/orchestration/pipelines?per_page=100&days=7');
      await call('GET', '/orchestration/pipelines?per_page=100&fields=id,name,status,summary');
      await call('GET', `/orchestration/pipelines/${p.id}?days=30`);
      const run = (await call('POST', `/orchestration/pipelines/${p.id}/trigger`, { note: `load ${i}` })) as { id: string };
      await call('GET', `/orchestration/runs/${run.id}`);
      await call('POST', `/orchestration/runs/${run.id}/comments`, { body: `seen by client ${n} on loop ${i}` });
      requests += 6;
      if (i % 50 === n) {
        await fetch(`${base}/orchestration/connectors/${mock.id}/sync`, { method: 'POST', headers }).then((r) => r.arrayBuffer());
        requests++;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  return requests;
}

async function measure(label: string, env: Record<string, string>, dataDir: string) {
  await stop(await start(env)); // the first start: migrations, the demo and its first sync
  const running = await start(env);
  const pid = running.child.pid ?? 0;
  const key = readFileSync(join(dataDir, 'demo-admin.key'), 'utf8').trim();
  const samples: number[] = [rssMb(pid)];
  console.log(`\n${label}: ${CLIENTS} clients for ${MINUTES} min`);
  console.log(`  start: ${samples[0].toFixed(0)} MB`);
  const t0 = Date.now();
  const timer = setInterval(() => {
    samples.push(rssMb(pid));
    console.log(`  after ${samples.length - 1} min: ${samples[samples.length - 1].toFixed(0)} MB`);
  }, 60_000);
  let requests = 0;
  try {
    requests = await load(running.url, key, t0 + MINUTES * 60_000);
  } finally {
    clearInterval(timer);
  }
  const end = rssMb(pid);
  samples.push(end);
  await stop(running);
  const half = samples.slice(Math.floor(samples.length / 2));
  console.log(`  end: ${end.toFixed(0)} MB, after ${requests} requests (${(requests / ((Date.now() - t0) / 1000)).toFixed(0)}/s)`);
  console.log(`peak RSS (${label}): ${Math.max(...samples).toFixed(0)} MB`);
  console.log(`growth over the second half (${label}): ${(end - half[0]).toFixed(0)} MB`);
}

onEachDatabase('memory', measure, ONLY).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
