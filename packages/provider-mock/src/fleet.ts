import type { ProviderPipeline, ProviderRun, ProviderTaskRun, RunStatus, TaskRunStatus } from '@signalbox/core';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';

/** Settings of a mock connector, as stored in its config. */
export interface MockFleetConfig {
  pipelines: number;
  runsPerPipeline: number;
  seed: number;
}

/** Uniform numbers in [0, 1) from a seeded Mersenne Twister: the same seed gives the same fleet on every machine. */
export function prng(seed: number): () => number {
  const rng = mersenne(seed);
  return () => uniformFloat64(rng);
}

const OWNERS = ['data-eng', 'analytics', 'ml-platform', 'finance-data', 'growth'];
const DOMAINS = ['orders', 'payments', 'customers', 'inventory', 'marketing', 'events', 'billing', 'search'];
const VERBS = ['ingest', 'transform', 'export', 'refresh', 'aggregate', 'backfill_check'];
const TAGS = ['daily', 'hourly', 'pii', 'finance', 'core', 'experimental', 'sla'];
const SCHEDULES: { cron: string; everyMs: number }[] = [
  { cron: '@hourly', everyMs: 3600_000 },
  { cron: '0 */6 * * *', everyMs: 6 * 3600_000 },
  { cron: '@daily', everyMs: 24 * 3600_000 },
  { cron: '30 2 * * *', everyMs: 24 * 3600_000 },
];
const TASKS = ['extract', 'validate', 'transform', 'load', 'notify'];
const OPERATORS = ['PythonOperator', 'BashOperator', 'SQLExecuteQueryOperator', 'EmptyOperator'];

const pick = <T>(rand: () => number, xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

/** The historical data of one mock connector: generated once, deterministic from the config and the anchor time. */
export interface Fleet {
  pipelines: ProviderPipeline[];
  runs: ProviderRun[];
  taskRuns: ProviderTaskRun[];
}

/**
 * Generates the fleet. Runs go back from `anchor` at each pipeline's schedule; about one in eight
 * fails, the newest run of one pipeline in ten is still running. Every run has 3–5 task runs whose
 * states agree with the run's.
 */
export function generateFleet(config: MockFleetConfig, anchor: Date): Fleet {
  const rand = prng(config.seed);
  const pipelines: ProviderPipeline[] = [];
  const runs: ProviderRun[] = [];
  const taskRuns: ProviderTaskRun[] = [];
  const width = String(config.pipelines).length;
  for (let i = 1; i <= config.pipelines; i++) {
    const domain = pick(rand, DOMAINS);
    const verb = pick(rand, VERBS);
    const externalId = `${domain}_${verb}_${String(i).padStart(width, '0')}`;
    const schedule = pick(rand, SCHEDULES);
    const paused = rand() < 0.1;
    const tags = [...new Set([pick(rand, TAGS), pick(rand, TAGS)])].sort();
    pipelines.push({
      externalId,
      name: `${domain} ${verb.replace(/_/g, ' ')} ${i}`,
      description: `Mock pipeline that does ${verb.replace(/_/g, ' ')} for ${domain}.`,
      owner: pick(rand, OWNERS),
      tags,
      schedule: schedule.cron,
      paused,
      nextRunAt: paused ? null : new Date(anchor.getTime() + schedule.everyMs),
    });
    const stillRunning = !paused && rand() < 0.1;
    const tasks = TASKS.slice(0, 3 + Math.floor(rand() * 3));
    for (let r = 0; r < config.runsPerPipeline; r++) {
      // A run is queued when its interval ends; the newest ended one interval before the anchor,
      // so every finished run (at most 31 minutes long, every interval at least an hour) is past.
      const logical = new Date(anchor.getTime() - (r + 2) * schedule.everyMs);
      const queuedAt = new Date(logical.getTime() + schedule.everyMs);
      const startedAt = new Date(queuedAt.getTime() + Math.floor(rand() * 30_000));
      const running = stillRunning && r === 0;
      const status: RunStatus = running ? 'running' : rand() < 0.125 ? 'failed' : 'success';
      const duration = 60 + Math.floor(rand() * 1800);
      const finishedAt = running ? null : new Date(startedAt.getTime() + duration * 1000);
      const runType = rand() < 0.9 ? 'scheduled' : 'manual';
      const externalId_ = `${runType}__${logical.toISOString()}`;
      runs.push({
        pipelineExternalId: externalId,
        externalId: externalId_,
        status,
        nativeStatus: status,
        runType,
        logicalDate: logical,
        queuedAt,
        startedAt,
        finishedAt,
        durationSeconds: running ? null : duration,
        conf: {},
        note: null,
        updatedAt: finishedAt ?? startedAt,
      });
      const failAt = status === 'failed' ? Math.floor(rand() * tasks.length) : -1;
      let t = startedAt.getTime();
      const slice = Math.floor((duration * 1000) / tasks.length);
      tasks.forEach((taskId, k) => {
        let ts: TaskRunStatus;
        if (running) ts = k === 0 ? 'success' : k === 1 ? 'running' : 'pending';
        else if (failAt < 0 || k < failAt) ts = 'success';
        else ts = k === failAt ? 'failed' : 'upstream_failed';
        const begun = ts === 'success' || ts === 'failed' || ts === 'running';
        const start = begun ? new Date(t) : null;
        const end = ts === 'success' || ts === 'failed' ? new Date(t + slice) : null;
        taskRuns.push({
          pipelineExternalId: externalId,
          runExternalId: externalId_,
          taskId,
          mapIndex: -1,
          status: ts,
          nativeStatus: ts === 'pending' ? null : ts,
          tryNumber: ts === 'failed' ? 2 : 1,
          startedAt: start,
          finishedAt: end,
          durationSeconds: start && end ? (end.getTime() - start.getTime()) / 1000 : null,
          operator: OPERATORS[k % OPERATORS.length],
          updatedAt: end ?? start ?? startedAt,
        });
        if (end) t = end.getTime();
      });
    }
  }
  return { pipelines, runs, taskRuns };
}
