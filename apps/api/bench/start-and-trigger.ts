/*
 * `npm run bench:start`: the API as `npm start` runs it, in a process of its own.
 *
 * 1. Start-up: a cold start on a fresh data folder (migrations, the demo space and its first sync),
 *    then BENCH_STARTS warm starts (default 3) on the same folder, each timed from spawn to the
 *    first 200 of `/health/ready`: median, min and max.
 * 2. Trigger: BENCH_TRIGGERS sequential triggers (default 300) of the demo's pipelines (mock
 *    provider, whose own call costs well under a millisecond) through the API, against as many
 *    `GET /health/live` in the same run: medians and p90.
 * 3. The server's resident memory after that.
 * On the embedded database, and on PostgreSQL (a fresh database of BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL, else the local test server, dropped at the end). Rate limits are off: one
 * key triggering as fast as it can would be refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { num, onEachDatabase, quantile, type Running, rssMb, start, stop } from './support';

const STARTS = num('BENCH_STARTS', 3);
const TRIGGERS = num('BENCH_TRIGGERS', 300);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function timeEach(n: number, work: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await work(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function measure(label: string, env: Record<string, string>, dataDir: string) {
  const cold = await start(env);
  await stop(cold);
  const warm: number[] = [];
  let running: Running | undefined;
  for (let i = 0; i < STARTS; i++) {
    if (running) await stop(running);
    running = await start(env);
    warm.push(running.readyMs);
  }
  if (!running) throw new Error('BENCH_STARTS must be at least 1');
  const key = readFileSync(join(dataDir, 'demo-admin.key'), 'utf8').trim();
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  const list = await fetch(`${running.url}/api/v1.0/spaces/demo/orchestration/pipelines?per_page=100`, { headers });
  const pipelines = ((await list.json()) as { id: string; paused: boolean }[]).filter((p) => !p.paused);
  if (pipelines.length === 0) throw new Error(`the demo has no pipeline to trigger (${list.status})`);
  const trigger = async (i: number) => {
    const res = await fetch(`${running.url}/api/v1.0/spaces/demo/orchestration/pipelines/${pipelines[i % pipelines.length].id}/trigger`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    await res.arrayBuffer();
    if (res.status !== 201 && res.status !== 200) throw new Error(`trigger answered ${res.status}`);
  };
  const live = async () => {
    const res = await fetch(`${running.url}/health/live`);
    await res.arrayBuffer();
  };
  await timeEach(20, trigger); // warm up both
  await timeEach(20, live);
  const triggers = await timeEach(TRIGGERS, trigger);
  const lives = await timeEach(TRIGGERS, live);
  const rss = rssMb(running.child.pid ?? 0);
  await stop(running);
  console.log(`\n${label}`);
  console.log(`  cold start to ready (migrations, demo, first sync): ${ms(cold.readyMs)}`);
  console.log(
    `  warm start to ready: median ${ms(quantile(warm, 0.5))}, min ${ms(sorted(warm)[0])}, max ${ms(sorted(warm)[warm.length - 1])} (${STARTS} starts)`,
  );
  console.log(`  trigger: median ${ms(quantile(triggers, 0.5))}, p90 ${ms(quantile(triggers, 0.9))} (${TRIGGERS} sequential)`);
  console.log(`  /health/live: median ${ms(quantile(lives, 0.5))}, p90 ${ms(quantile(lives, 0.9))}`);
  console.log(`  resident memory after: ${rss.toFixed(0)} MB`);
  console.log(`warm start median (${label}): ${(quantile(warm, 0.5) / 1000).toFixed(2)} s`);
  console.log(`trigger median (${label}): ${quantile(triggers, 0.5).toFixed(2)} ms`);
}

onEachDatabase('start', measure).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
