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

/** How a triggered run moves on with the clock. */
export const TRIGGERED_RUN_TIMELINE = { startAfterMs: 5_000, taskMs: 10_000 } as const;
const TRIGGERED_TASKS = ['extract', 'transform', 'load'];

interface TriggeredRun {
  pipelineExternalId: string;
  externalId: string;
  conf: Record<string, unknown> | null;
  note: string | null;
  logicalDate: Date | null;
  queuedAt: Date;
  /** conf `{"fail": true}` makes the run fail at its last task, to try failure paths. */
  fails: boolean;
}

/**
 * A deterministic in-process orchestrator: a fleet generated from `{pipelines, runs_per_pipeline,
 * seed}`, a server-side page cap like Airflow's, triggered runs that progress with the clock, and
 * injectable faults and latency.
 */
export class MockProvider implements OrchestrationProvider {
  private readonly fleet: Fleet;
  private readonly triggered = new Map<string, TriggeredRun>();
  private faults: MockFault[] = [];
  private latencyMs = 0;
  /** Calls made, by method, so tests can see how the provider was used. */
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
    return { pipelines: this.fleet.pipelines.length, runs: this.fleet.runs.length + this.triggered.size, taskRuns: this.fleet.taskRuns.length };
  }

  async check(): Promise<ProviderInfo> {
    await this.enter('check', []);
    return { name: 'mock', version: '1.0', apiVersion: null };
  }

  async *pipelines(): AsyncIterable<ProviderPipeline[]> {
    yield* this.paged('pipelines', () => this.fleet.pipelines.map((p) => structuredClone(p)));
  }

  /**
   * Runs, then task runs, changed since the cursor, then the next cursor: the clock's time when the
   * listing began, as ISO text (nothing changes here behind the clock, so no overlap is needed). A
   * first sync, or a cursor that is not a time, reads back `lookbackMs`.
   */
  async *changes(cursor: string | null): AsyncIterable<ChangePage> {
    const listedAt = this.clock.now();
    const parsed = cursor === null ? Number.NaN : Date.parse(cursor);
    const since = new Date(Number.isNaN(parsed) ? listedAt.getTime() - this.lookbackMs : parsed);
    const runs = () => this.changedSince([...this.fleet.runs, ...[...this.triggered.values()].map((t) => this.runOf(t))], since);
    for await (const page of this.paged('runs', runs)) yield { kind: 'runs', runs: page };
    const taskRuns = () => this.changedSince([...this.fleet.taskRuns, ...[...this.triggered.values()].flatMap((t) => this.taskRunsOf(t))], since);
    for await (const page of this.paged('taskRuns', taskRuns)) yield { kind: 'taskRuns', taskRuns: page };
    yield { kind: 'cursor', cursor: listedAt.toISOString() };
  }

  async trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun> {
    await this.enter('trigger', [pipelineExternalId, request]);
    if (!this.fleet.pipelines.some((p) => p.externalId === pipelineExternalId)) throw notFound('dag', pipelineExternalId);
    const key = `${pipelineExternalId}/${request.runId}`;
    if (this.triggered.has(key) || this.fleet.runs.some((r) => r.pipelineExternalId === pipelineExternalId && r.externalId === request.runId)) {
      throw conflict('RUN_EXISTS', `run '${request.runId}' of '${pipelineExternalId}' exists`);
    }
    const run: TriggeredRun = {
      pipelineExternalId,
      externalId: request.runId,
      conf: request.conf,
      note: request.note,
      logicalDate: request.logicalDate,
      queuedAt: this.clock.now(),
      fails: request.conf?.fail === true,
    };
    this.triggered.set(key, run);
    return this.runOf(run);
  }

  async getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    await this.enter('getRun', [pipelineExternalId, runExternalId]);
    const t = this.triggered.get(`${pipelineExternalId}/${runExternalId}`);
    if (t) return this.runOf(t);
    const r = this.fleet.runs.find((x) => x.pipelineExternalId === pipelineExternalId && x.externalId === runExternalId);
    if (!r) throw notFound('dag run', runExternalId);
    return structuredClone(r);
  }

  async setPaused(pipelineExternalId: string, paused: boolean): Promise<void> {
    await this.enter('setPaused', [pipelineExternalId, paused]);
    const p = this.fleet.pipelines.find((x) => x.externalId === pipelineExternalId);
    if (!p) throw notFound('dag', pipelineExternalId);
    p.paused = paused;
  }

  /** A triggered run as it stands now: queued, then running task by task, then finished. */
  private runOf(t: TriggeredRun): ProviderRun {
    const tasks = this.taskRunsOf(t);
    const startedAt = new Date(t.queuedAt.getTime() + TRIGGERED_RUN_TIMELINE.startAfterMs);
    const now = this.clock.now().getTime();
    const last = tasks[tasks.length - 1];
    let status: RunStatus = 'queued';
    if (now >= startedAt.getTime()) status = 'running';
    const finishedAt = last.finishedAt;
    if (finishedAt) status = tasks.some((x) => x.status === 'failed') ? 'failed' : 'success';
    return {
      pipelineExternalId: t.pipelineExternalId,
      externalId: t.externalId,
      status,
      nativeStatus: status,
      runType: 'manual',
      logicalDate: t.logicalDate,
      queuedAt: t.queuedAt,
      startedAt: status === 'queued' ? null : startedAt,
      finishedAt,
      durationSeconds: finishedAt ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : null,
      conf: structuredClone(t.conf),
      note: t.note,
      updatedAt: finishedAt ?? (status === 'running' ? startedAt : t.queuedAt),
    };
  }

  private taskRunsOf(t: TriggeredRun): ProviderTaskRun[] {
    const now = this.clock.now().getTime();
    const begin = t.queuedAt.getTime() + TRIGGERED_RUN_TIMELINE.startAfterMs;
    return TRIGGERED_TASKS.map((taskId, k) => {
      const start = begin + k * TRIGGERED_RUN_TIMELINE.taskMs;
      const end = start + TRIGGERED_RUN_TIMELINE.taskMs;
      const failsHere = t.fails && k === TRIGGERED_TASKS.length - 1;
      let status: TaskRunStatus = 'pending';
      if (now >= end) status = failsHere ? 'failed' : 'success';
      else if (now >= start) status = 'running';
      return {
        pipelineExternalId: t.pipelineExternalId,
        runExternalId: t.externalId,
        taskId,
        mapIndex: -1,
        status,
        nativeStatus: status === 'pending' ? null : status,
        tryNumber: 1,
        startedAt: status === 'pending' ? null : new Date(start),
        finishedAt: now >= end ? new Date(end) : null,
        durationSeconds: now >= end ? TRIGGERED_RUN_TIMELINE.taskMs / 1000 : null,
        operator: 'PythonOperator',
        updatedAt: new Date(now >= end ? end : now >= start ? start : t.queuedAt.getTime()),
      };
    });
  }

  private changedSince<T extends { updatedAt: Date | null }>(items: T[], since: Date): T[] {
    return items
      .filter((x) => x.updatedAt !== null && x.updatedAt.getTime() >= since.getTime())
      .sort((a, b) => (a.updatedAt?.getTime() ?? 0) - (b.updatedAt?.getTime() ?? 0))
      .map((x) => structuredClone(x));
  }

  /** Serves a list in pages of at most `pageCap`, each page a separate call that may fail. */
  private async *paged<T>(method: string, list: () => T[]): AsyncIterable<T[]> {
    let offset = 0;
    for (;;) {
      await this.enter(method, [offset]);
      const all = list();
      const page = all.slice(offset, offset + this.pageCap);
      if (page.length > 0) yield page;
      offset += page.length;
      if (page.length === 0 || offset >= all.length) return;
    }
  }

  private async enter(method: string, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
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
