import {
  type ChangePage,
  type Clock,
  type Connector,
  type ConnectorConfig,
  conflict,
  invalid,
  notFound,
  type OrchestrationProvider,
  type ProviderFactory,
  type ProviderInfo,
  type ProviderPipeline,
  type ProviderRun,
  type ProviderTaskRun,
  providerError,
  type RunStatus,
  type RunType,
  type TaskRunStatus,
  type TriggerRequest,
} from '@signalbox/core';
import { type Fleet, generateFleet, type MockFleetConfig } from './fleet';

/** A fault to inject: the next `times` calls fail with this HTTP status and message. */
export interface MockFault {
  status: number;
  message: string;
  times?: number;
}

/** How far back a first sync reads, unless the factory is told otherwise: 30 days. */
export const DEFAULT_LOOKBACK_MS = 30 * 24 * 3600_000;

/**
 * The calls a provider remembers for tests to look at: the latest ones, so that a provider serving
 * a long-running demo does not keep every call it was ever asked.
 */
export const MOCK_CALLS_KEPT = 1_000;

/**
 * The triggered (and retried) runs a provider keeps. The demo's provider runs in the API's own
 * process, so past this many the oldest runs a sync has already written are forgotten, as an
 * orchestrator's retention would (`airflow db clean`). A run still going, or one that finished
 * after the last cursor a listing was asked from, is never forgotten.
 */
export const MOCK_LIVE_RUNS_KEPT = 2_000;

/** How a triggered run moves on with the clock. */
export const TRIGGERED_RUN_TIMELINE = { startAfterMs: 5_000, taskMs: 10_000 } as const;
const TRIGGERED_TASKS = ['extract', 'transform', 'load'];

/** One go of a live run's tasks from `firstTask` on: queued at `queuedAt`, then one task after the other. */
interface Attempt {
  queuedAt: Date;
  firstTask: number;
  tryNumber: number;
  /** When the run was marked failed during this attempt. */
  canceledAt: Date | null;
}

/**
 * A run that moves with the clock: one triggered here, or a fleet run once it is retried. Each
 * task belongs to the last attempt that reached it; tasks before the first attempt keep the state
 * they had (a fleet run's history).
 */
interface LiveRun {
  pipelineExternalId: string;
  externalId: string;
  runType: RunType;
  conf: Record<string, unknown> | null;
  note: string | null;
  logicalDate: Date | null;
  tasks: { taskId: string; operator: string }[];
  /** The task that fails whenever it runs, or -1: conf `{"fail": true}` makes it the last, to try failure paths. */
  failingTask: number;
  before: ProviderTaskRun[];
  attempts: Attempt[];
}

const CLEARED: ReadonlySet<TaskRunStatus> = new Set<TaskRunStatus>(['failed', 'upstream_failed']);

/**
 * A deterministic in-process orchestrator: a fleet generated from `{pipelines, runs_per_pipeline,
 * seed}`, a server-side page cap like Airflow's, triggered runs that progress with the clock, and
 * injectable faults and latency.
 */
export class MockProvider implements OrchestrationProvider {
  private readonly fleet: Fleet;
  private readonly live = new Map<string, LiveRun>();
  private faults: MockFault[] = [];
  /**
   * The latest cursor a listing of changes was asked from: a sync passes the cursor of the last
   * sync that succeeded, so every change before it has been written (ms; none yet: -Infinity).
   */
  private settledAt = Number.NEGATIVE_INFINITY;
  private latencyMs = 0;
  /** The latest calls made (at most MOCK_CALLS_KEPT), by method, so tests can see how the provider was used. */
  readonly calls: { method: string; args: unknown[] }[] = [];

  constructor(
    config: MockFleetConfig,
    private readonly clock: Clock,
    /** The most items one page holds, whatever was asked (Airflow's maximum_page_limit). */
    readonly pageCap = 100,
    /** The fleet's history ends here (default: now). */
    anchor: Date = clock.now(),
    /** How far back a first sync reads runs and task runs. */
    private readonly lookbackMs = DEFAULT_LOOKBACK_MS,
  ) {
    this.fleet = generateFleet(config, anchor);
  }

  /** The next call (or `times` calls) fails with this status and message. */
  failNext(fault: MockFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Every call first waits this long. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Removes a pipeline from the fleet, as when a DAG file is deleted. */
  removePipeline(externalId: string): void {
    const i = this.fleet.pipelines.findIndex((p) => p.externalId === externalId);
    if (i >= 0) this.fleet.pipelines.splice(i, 1);
  }

  /** Changes a pipeline's provider fields, as when a DAG file is edited. */
  updatePipeline(externalId: string, change: Partial<ProviderPipeline>): void {
    const p = this.fleet.pipelines.find((x) => x.externalId === externalId);
    if (p) Object.assign(p, change);
  }

  get size() {
    return { pipelines: this.fleet.pipelines.length, runs: this.fleet.runs.length + this.live.size, taskRuns: this.fleet.taskRuns.length };
  }

  async check(): Promise<ProviderInfo> {
    await this.enter('check', []);
    return { name: 'mock', version: '1.0', apiVersion: null };
  }

  async *pipelines(): AsyncIterable<ProviderPipeline[]> {
    yield* this.paged('pipelines', () => this.fleet.pipelines);
  }

  /**
   * Runs, then task runs, changed since the cursor, then the next cursor: the clock's time when the
   * listing began, as ISO text (nothing changes here behind the clock, so no overlap is needed). A
   * first sync, or a cursor that is not a time, reads back `lookbackMs`.
   */
  async *changes(cursor: string | null): AsyncIterable<ChangePage> {
    const listedAt = this.clock.now();
    const parsed = cursor === null ? Number.NaN : Date.parse(cursor);
    if (!Number.isNaN(parsed)) this.settledAt = Math.max(this.settledAt, parsed);
    const since = new Date(Number.isNaN(parsed) ? listedAt.getTime() - this.lookbackMs : parsed);
    const runs = () => this.changedSince([...this.fleet.runs, ...[...this.live.values()].map((t) => this.runOf(t))], since);
    for await (const page of this.paged('runs', runs)) yield { kind: 'runs', runs: page };
    const taskRuns = () => this.changedSince([...this.fleet.taskRuns, ...[...this.live.values()].flatMap((t) => this.taskRunsOf(t))], since);
    for await (const page of this.paged('taskRuns', taskRuns)) yield { kind: 'taskRuns', taskRuns: page };
    yield { kind: 'cursor', cursor: listedAt.toISOString() };
  }

  async trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun> {
    await this.enter('trigger', [pipelineExternalId, request]);
    if (!this.fleet.pipelines.some((p) => p.externalId === pipelineExternalId)) throw notFound('dag', pipelineExternalId);
    const key = `${pipelineExternalId}/${request.runId}`;
    if (this.live.has(key) || this.fleetRun(pipelineExternalId, request.runId)) {
      throw conflict('RUN_EXISTS', `run '${request.runId}' of '${pipelineExternalId}' exists`);
    }
    const run: LiveRun = {
      pipelineExternalId,
      externalId: request.runId,
      runType: 'manual',
      conf: structuredClone(request.conf),
      note: request.note,
      logicalDate: request.logicalDate && new Date(request.logicalDate),
      tasks: TRIGGERED_TASKS.map((taskId) => ({ taskId, operator: 'PythonOperator' })),
      failingTask: request.conf?.fail === true ? TRIGGERED_TASKS.length - 1 : -1,
      before: [],
      attempts: [{ queuedAt: this.clock.now(), firstTask: 0, tryNumber: 1, canceledAt: null }],
    };
    this.keep(key, run);
    return this.runOf(run);
  }

  async getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    await this.enter('getRun', [pipelineExternalId, runExternalId]);
    const t = this.live.get(`${pipelineExternalId}/${runExternalId}`);
    if (t) return this.runOf(t);
    const r = this.fleetRun(pipelineExternalId, runExternalId);
    if (!r) throw notFound('dag run', runExternalId);
    return structuredClone(r);
  }

  /**
   * Marks a run failed, as Airflow does: the running task fails, the tasks not yet run are
   * skipped. A failed run stays as it is; a finished one is marked failed with its tasks as they are.
   */
  async cancelRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    await this.enter('cancelRun', [pipelineExternalId, runExternalId]);
    const now = this.clock.now();
    const live = this.live.get(`${pipelineExternalId}/${runExternalId}`);
    if (live) {
      if (this.runOf(live).status !== 'failed') live.attempts[live.attempts.length - 1].canceledAt = now;
      return this.runOf(live);
    }
    const run = this.fleetRun(pipelineExternalId, runExternalId);
    if (!run) throw notFound('dag run', runExternalId);
    if (run.status === 'failed') return structuredClone(run);
    for (const t of this.fleetTaskRuns(run)) {
      if (t.status === 'success' || t.status === 'failed' || t.status === 'skipped' || t.status === 'upstream_failed' || t.status === 'removed') continue;
      t.status = t.status === 'running' ? 'failed' : 'skipped';
      t.nativeStatus = t.status;
      t.startedAt ??= now;
      t.finishedAt = now;
      t.durationSeconds = (now.getTime() - t.startedAt.getTime()) / 1000;
      t.updatedAt = now;
    }
    if (run.status === 'queued' || run.status === 'running') {
      run.finishedAt = now;
      run.durationSeconds = run.startedAt ? (now.getTime() - run.startedAt.getTime()) / 1000 : null;
    }
    run.status = 'failed';
    run.nativeStatus = 'failed';
    run.updatedAt = now;
    return structuredClone(run);
  }

  /**
   * Runs the failed tasks of a run again, with every task after them (the tasks run in a line): the
   * run is queued now and goes on with the clock. A fleet run's retried tasks succeed; a triggered
   * run whose conf asks to fail fails again. A run with no failed task stays as it is.
   */
  async retryRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    await this.enter('retryRun', [pipelineExternalId, runExternalId]);
    const key = `${pipelineExternalId}/${runExternalId}`;
    const now = this.clock.now();
    let live = this.live.get(key);
    if (!live) {
      const run = this.fleetRun(pipelineExternalId, runExternalId);
      if (!run) throw notFound('dag run', runExternalId);
      const tasks = this.fleetTaskRuns(run);
      const first = tasks.findIndex((t) => CLEARED.has(t.status));
      if (first < 0) return structuredClone(run);
      live = {
        pipelineExternalId,
        externalId: runExternalId,
        runType: run.runType,
        conf: run.conf,
        note: run.note,
        logicalDate: run.logicalDate,
        tasks: tasks.map((t) => ({ taskId: t.taskId, operator: t.operator ?? 'PythonOperator' })),
        failingTask: -1,
        before: tasks.slice(0, first).map((t) => structuredClone(t)),
        attempts: [{ queuedAt: now, firstTask: first, tryNumber: Math.max(...tasks.map((t) => t.tryNumber)) + 1, canceledAt: null }],
      };
      this.fleet.runs.splice(this.fleet.runs.indexOf(run), 1);
      this.fleet.taskRuns = this.fleet.taskRuns.filter((t) => !tasks.includes(t));
      this.keep(key, live);
      return this.runOf(live);
    }
    const first = this.taskRunsOf(live).findIndex((t) => CLEARED.has(t.status));
    if (first >= 0) {
      live.attempts.push({ queuedAt: now, firstTask: first, tryNumber: live.attempts[live.attempts.length - 1].tryNumber + 1, canceledAt: null });
      this.keep(key, live);
    }
    return this.runOf(live);
  }

  async setPaused(pipelineExternalId: string, paused: boolean): Promise<void> {
    await this.enter('setPaused', [pipelineExternalId, paused]);
    const p = this.fleet.pipelines.find((x) => x.externalId === pipelineExternalId);
    if (!p) throw notFound('dag', pipelineExternalId);
    p.paused = paused;
  }

  /**
   * Keeps a run that has just been triggered or retried, as the newest (the runs are kept in the
   * order they last began), then forgets the oldest runs past MOCK_LIVE_RUNS_KEPT while they are
   * finished and written by a sync (finished before the settled cursor). It stops at the first run
   * that is not, so for a while more runs may be kept.
   */
  private keep(key: string, run: LiveRun): void {
    this.live.delete(key);
    this.live.set(key, run);
    for (const [oldest, old] of this.live) {
      if (this.live.size <= MOCK_LIVE_RUNS_KEPT) return;
      const { status, updatedAt } = this.runOf(old);
      if (status === 'queued' || status === 'running' || updatedAt === null || updatedAt.getTime() >= this.settledAt) return;
      this.live.delete(oldest);
    }
  }

  private fleetRun(pipelineExternalId: string, runExternalId: string): ProviderRun | undefined {
    return this.fleet.runs.find((r) => r.pipelineExternalId === pipelineExternalId && r.externalId === runExternalId);
  }

  /** A fleet run's task runs, in the order they run. */
  private fleetTaskRuns(run: ProviderRun): ProviderTaskRun[] {
    return this.fleet.taskRuns.filter((t) => t.pipelineExternalId === run.pipelineExternalId && t.runExternalId === run.externalId);
  }

  /** A live run as it stands now: queued, then running task by task, then finished (or failed when cancelled). */
  private runOf(t: LiveRun): ProviderRun {
    const tasks = this.taskRunsOf(t);
    const attempt = t.attempts[t.attempts.length - 1];
    const now = this.clock.now().getTime();
    const begin = attempt.queuedAt.getTime() + TRIGGERED_RUN_TIMELINE.startAfterMs;
    const end = begin + (t.tasks.length - attempt.firstTask) * TRIGGERED_RUN_TIMELINE.taskMs;
    const canceled = attempt.canceledAt?.getTime() ?? null;
    let status: RunStatus = 'queued';
    let finishedAt: Date | null = null;
    if (canceled !== null) {
      status = 'failed';
      finishedAt = new Date(Math.min(canceled, end));
    } else if (now >= end) {
      status = tasks.some((x) => x.status === 'failed') ? 'failed' : 'success';
      finishedAt = new Date(end);
    } else if (now >= begin) {
      status = 'running';
    }
    const startedAt = status === 'queued' || (canceled !== null && canceled < begin) ? null : new Date(begin);
    return {
      pipelineExternalId: t.pipelineExternalId,
      externalId: t.externalId,
      status,
      nativeStatus: status,
      runType: t.runType,
      logicalDate: t.logicalDate && new Date(t.logicalDate),
      queuedAt: new Date(attempt.queuedAt),
      startedAt,
      finishedAt,
      durationSeconds: finishedAt && startedAt ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : null,
      conf: structuredClone(t.conf),
      note: t.note,
      updatedAt: canceled !== null ? new Date(canceled) : (finishedAt ?? startedAt ?? attempt.queuedAt),
    };
  }

  private taskRunsOf(t: LiveRun): ProviderTaskRun[] {
    const now = this.clock.now().getTime();
    return t.tasks.map(({ taskId, operator }, k) => {
      if (k < t.attempts[0].firstTask) return structuredClone(t.before[k]);
      const attempt = t.attempts.findLast((a) => a.firstTask <= k)!;
      const start = attempt.queuedAt.getTime() + TRIGGERED_RUN_TIMELINE.startAfterMs + (k - attempt.firstTask) * TRIGGERED_RUN_TIMELINE.taskMs;
      const end = start + TRIGGERED_RUN_TIMELINE.taskMs;
      const canceled = attempt.canceledAt?.getTime() ?? null;
      let status: TaskRunStatus = 'pending';
      let began: number | null = null;
      let ended: number | null = null;
      if (canceled !== null && canceled < end) {
        // Marking the run failed stops the running task (failed) and skips the ones not yet begun.
        status = canceled >= start ? 'failed' : 'skipped';
        began = Math.min(start, canceled);
        ended = canceled;
      } else if (now >= end) {
        status = k === t.failingTask ? 'failed' : 'success';
        [began, ended] = [start, end];
      } else if (now >= start) {
        status = 'running';
        began = start;
      }
      return {
        pipelineExternalId: t.pipelineExternalId,
        runExternalId: t.externalId,
        taskId,
        mapIndex: -1,
        status,
        nativeStatus: status === 'pending' ? null : status,
        tryNumber: attempt.tryNumber,
        startedAt: began === null ? null : new Date(began),
        finishedAt: ended === null ? null : new Date(ended),
        durationSeconds: began !== null && ended !== null ? (ended - began) / 1000 : null,
        operator,
        updatedAt: new Date(ended ?? began ?? attempt.queuedAt.getTime()),
      };
    });
  }

  private changedSince<T extends { updatedAt: Date | null }>(items: T[], since: Date): T[] {
    return items
      .filter((x) => x.updatedAt !== null && x.updatedAt.getTime() >= since.getTime())
      .sort((a, b) => (a.updatedAt?.getTime() ?? 0) - (b.updatedAt?.getTime() ?? 0));
  }

  /**
   * Serves a list in pages of at most `pageCap`, each page a separate call that may fail. The list
   * is read again for each page, as a server would; only the page served is copied.
   */
  private async *paged<T>(method: string, list: () => T[]): AsyncIterable<T[]> {
    let offset = 0;
    for (;;) {
      await this.enter(method, [offset]);
      const all = list();
      const page = structuredClone(all.slice(offset, offset + this.pageCap));
      if (page.length > 0) yield page;
      offset += page.length;
      if (page.length === 0 || offset >= all.length) return;
    }
  }

  private async enter(method: string, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    if (this.calls.length > MOCK_CALLS_KEPT) this.calls.shift();
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const fault = this.faults[0];
    if (!fault) return;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.shift();
    throw providerError('mock', fault.status, fault.message);
  }
}

/** `page_delay_ms`: every call (each page) first waits this long, to make a slow orchestrator (demos, shutdown and takeover tests). */
const LIMITS = { pipelines: [1, 10_000], runs_per_pipeline: [0, 1_000], seed: [0, 2 ** 31 - 1], page_cap: [1, 1_000], page_delay_ms: [0, 60_000] } as const;
const DEFAULTS = { pipelines: 25, runs_per_pipeline: 10, seed: 1, page_cap: 100 } as const;
/** Settings kept only when given, so configs that predate them stay as they were. */
const OPTIONAL = ['page_delay_ms'];

/**
 * Makes mock providers. One instance per connector is kept for the factory's lifetime, so runs
 * triggered through it are there on the next call; a changed config starts a new fleet.
 */
export class MockProviderFactory implements ProviderFactory {
  private readonly instances = new Map<string, { key: string; provider: MockProvider }>();

  constructor(
    private readonly clock: Clock,
    private readonly options: { lookbackMs?: number } = {},
  ) {}

  checkConfig(config: ConnectorConfig): ConnectorConfig {
    const out: ConnectorConfig = {};
    for (const key of Object.keys(config)) {
      if (!(key in LIMITS)) throw invalid(`config.${key}`, `is not a mock connector setting (${Object.keys(LIMITS).join(', ')})`);
    }
    for (const [key, [min, max]] of Object.entries(LIMITS)) {
      if (OPTIONAL.includes(key) && config[key] === undefined) continue;
      const v = config[key] ?? DEFAULTS[key as keyof typeof DEFAULTS];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw invalid(`config.${key}`, `must be an integer from ${min} to ${max}`);
      }
      out[key] = v;
    }
    return out;
  }

  create(connector: Connector): MockProvider {
    const c = this.checkConfig(connector.config);
    const key = JSON.stringify(c);
    const cached = this.instances.get(connector.id);
    if (cached?.key === key) return cached.provider;
    const provider = new MockProvider(
      { pipelines: c.pipelines as number, runsPerPipeline: c.runs_per_pipeline as number, seed: c.seed as number },
      this.clock,
      c.page_cap as number,
      // Anchored at the connector's creation, every process sharing a database serves the same fleet.
      connector.createdAt,
      this.options.lookbackMs,
    );
    provider.setLatency((c.page_delay_ms as number | undefined) ?? 0);
    this.instances.set(connector.id, { key, provider });
    return provider;
  }

  /** The provider made for a connector, for tests that inject faults. */
  instance(connectorId: string): MockProvider | undefined {
    return this.instances.get(connectorId)?.provider;
  }
}
