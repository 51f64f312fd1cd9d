import type { ConnectorConfig } from '../connector/connector';
import { conflict, DomainError, notFound, providerError } from '../errors';
import type { ProviderPipeline } from '../pipeline/pipeline';
import type { OrchestrationProvider, ProviderFactory, ProviderInfo, TriggerRequest } from '../ports/provider';
import type { Clock } from '../ports/system';
import type { ProviderRun } from '../run/run';
import type { ProviderTaskRun } from '../task-run/task-run';

/**
 * A hand-fed orchestrator for core tests: tests put pipelines, runs and task runs in, and see
 * which `since` each listing was asked for. Pages hold at most `pageSize` items.
 */
export class InMemoryProvider implements OrchestrationProvider {
  pipelineList: ProviderPipeline[] = [];
  runList: ProviderRun[] = [];
  taskRunList: ProviderTaskRun[] = [];
  readonly sinceAsked: { runs: (Date | null)[]; taskRuns: (Date | null)[] } = { runs: [], taskRuns: [] };
  triggerCalls = 0;
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

  runs(since: Date | null): AsyncIterable<ProviderRun[]> {
    this.sinceAsked.runs.push(since);
    return this.pages(() => this.runList.filter((r) => !since || (r.updatedAt && r.updatedAt >= since)));
  }

  taskRuns(since: Date | null): AsyncIterable<ProviderTaskRun[]> {
    this.sinceAsked.taskRuns.push(since);
    return this.pages(() => this.taskRunList.filter((t) => !since || (t.updatedAt && t.updatedAt >= since)));
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
