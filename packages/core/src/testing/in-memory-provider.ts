import type { ConnectorConfig } from '../connector/connector';
import { conflict, DomainError, notFound, providerError } from '../errors';
import type { ProviderPipeline } from '../pipeline/pipeline';
import type { ChangePage, OrchestrationProvider, ProviderFactory, ProviderInfo, TriggerRequest } from '../ports/provider';
import type { Clock } from '../ports/system';
import type { ProviderRun } from '../run/run';
import type { ProviderTaskRun, TaskRunStatus } from '../task-run/task-run';

const CURSOR_PREFIX = 'memory:';
const UNFINISHED: ReadonlySet<TaskRunStatus> = new Set<TaskRunStatus>(['pending', 'queued', 'running', 'retrying']);

/**
 * A hand-fed orchestrator for core tests: tests put pipelines, runs and task runs in, and see
 * which cursor each change listing was asked for. Pages hold at most `pageSize` items. Its cursor
 * is `memory:` and the clock's time when a listing began, so a core that read a cursor as a date
 * would fail its tests.
 */
export class InMemoryProvider implements OrchestrationProvider {
  pipelineList: ProviderPipeline[] = [];
  runList: ProviderRun[] = [];
  taskRunList: ProviderTaskRun[] = [];
  /** The cursor each `changes` call was given, in order. */
  readonly cursorsAsked: (string | null)[] = [];
  triggerCalls = 0;
  cancelCalls = 0;
  retryCalls = 0;
  /** Called before each page is served: lets a test act in the middle of a listing. */
  beforePage?: () => Promise<void> | void;
  /** When set, the next trigger creates its run and then fails as if the response were lost. */
  loseNextTriggerResponse = false;
  private failures: { afterCalls: number; status: number; message: string }[] = [];
  private callCount = 0;

  constructor(
    private readonly clock: Clock,
    readonly pageSize = 2,
  ) {}

  /** Makes the call after `afterCalls` more calls fail with this status (0: the next call). */
  failAfter(afterCalls: number, status: number, message: string): void {
    this.failures.push({ afterCalls: this.callCount + afterCalls, status, message });
  }

  factory(): ProviderFactory {
    return { create: () => this, checkConfig: (c: ConnectorConfig) => c };
  }

  async check(): Promise<ProviderInfo> {
    this.enter();
    return { name: 'memory', version: null, apiVersion: null };
  }

  pipelines(): AsyncIterable<ProviderPipeline[]> {
    return this.pages(() => this.pipelineList);
  }

  async *changes(cursor: string | null): AsyncIterable<ChangePage> {
    this.cursorsAsked.push(cursor);
    const listedAt = this.clock.now();
    const since = cursor === null ? null : new Date(cursor.slice(CURSOR_PREFIX.length));
    if (since !== null && (!cursor?.startsWith(CURSOR_PREFIX) || Number.isNaN(since.getTime()))) {
      throw new Error(`memory provider: not a cursor of mine: ${cursor}`);
    }
    const changed = <T extends { updatedAt: Date | null }>(x: T) => !since || (x.updatedAt !== null && x.updatedAt >= since);
    for await (const runs of this.pages(() => this.runList.filter(changed))) yield { kind: 'runs', runs };
    for await (const taskRuns of this.pages(() => this.taskRunList.filter(changed))) yield { kind: 'taskRuns', taskRuns };
    yield { kind: 'cursor', cursor: `${CURSOR_PREFIX}${listedAt.toISOString()}` };
  }

  async trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun> {
    this.enter();
    this.triggerCalls++;
    if (!this.pipelineList.some((p) => p.externalId === pipelineExternalId)) throw notFound('dag', pipelineExternalId);
    if (this.runList.some((r) => r.pipelineExternalId === pipelineExternalId && r.externalId === request.runId)) {
      throw conflict('RUN_EXISTS', `run '${request.runId}' exists`);
    }
    const now = this.clock.now();
    const run: ProviderRun = {
      pipelineExternalId,
      externalId: request.runId,
      status: 'queued',
      nativeStatus: 'queued',
      runType: 'manual',
      logicalDate: request.logicalDate,
      queuedAt: now,
      startedAt: null,
      finishedAt: null,
      durationSeconds: null,
      conf: request.conf,
      note: request.note,
      updatedAt: now,
    };
    this.runList.push(run);
    if (this.loseNextTriggerResponse) {
      this.loseNextTriggerResponse = false;
      throw new DomainError('timeout', 'PROVIDER_TIMEOUT', 'memory did not answer in time');
    }
    return structuredClone(run);
  }

  async getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    this.enter();
    const r = this.runList.find((x) => x.pipelineExternalId === pipelineExternalId && x.externalId === runExternalId);
    if (!r) throw notFound('dag run', runExternalId);
    return structuredClone(r);
  }

  /** Marks the run failed as Airflow does: running task runs fail, unfinished ones are skipped. */
  async cancelRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    this.enter();
    this.cancelCalls++;
    const run = this.run(pipelineExternalId, runExternalId);
    const now = this.clock.now();
    for (const t of this.taskRunsOf(run)) {
      if (!UNFINISHED.has(t.status)) continue;
      t.status = t.status === 'running' ? 'failed' : 'skipped';
      t.nativeStatus = t.status;
      t.startedAt ??= now;
      t.finishedAt = now;
      t.updatedAt = now;
    }
    if (run.status !== 'failed') {
      if (run.status === 'queued' || run.status === 'running') run.finishedAt = now;
      run.status = 'failed';
      run.nativeStatus = 'failed';
      run.updatedAt = now;
    }
    return structuredClone(run);
  }

  /**
   * Clears the run's failed and upstream_failed task runs (it knows no task graph, so nothing else
   * is downstream) and queues a finished run again; a run with none stays as it is.
   */
  async retryRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    this.enter();
    this.retryCalls++;
    const run = this.run(pipelineExternalId, runExternalId);
    const cleared = this.taskRunsOf(run).filter((t) => t.status === 'failed' || t.status === 'upstream_failed');
    if (cleared.length === 0) return structuredClone(run);
    const now = this.clock.now();
    for (const t of cleared)
      Object.assign(t, { status: 'pending', nativeStatus: null, startedAt: null, finishedAt: null, durationSeconds: null, updatedAt: now });
    if (run.status === 'success' || run.status === 'failed') {
      Object.assign(run, { status: 'queued', nativeStatus: 'queued', queuedAt: now, startedAt: null, finishedAt: null, durationSeconds: null });
    }
    run.updatedAt = now;
    return structuredClone(run);
  }

  private run(pipelineExternalId: string, runExternalId: string): ProviderRun {
    const r = this.runList.find((x) => x.pipelineExternalId === pipelineExternalId && x.externalId === runExternalId);
    if (!r) throw notFound('dag run', runExternalId);
    return r;
  }

  private taskRunsOf(run: ProviderRun): ProviderTaskRun[] {
    return this.taskRunList.filter((t) => t.pipelineExternalId === run.pipelineExternalId && t.runExternalId === run.externalId);
  }

  async setPaused(pipelineExternalId: string, paused: boolean): Promise<void> {
    this.enter();
    const p = this.pipelineList.find((x) => x.externalId === pipelineExternalId);
    if (!p) throw notFound('dag', pipelineExternalId);
    p.paused = paused;
  }

  private enter() {
    this.callCount++;
    const i = this.failures.findIndex((f) => f.afterCalls < this.callCount);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw providerError('memory', f.status, f.message);
    }
  }

  private async *pages<T>(list: () => T[]): AsyncIterable<T[]> {
    for (let offset = 0; ; ) {
      await this.beforePage?.();
      this.enter();
      const page = structuredClone(list().slice(offset, offset + this.pageSize));
      if (page.length === 0) return;
      yield page;
      offset += page.length;
    }
  }
}
