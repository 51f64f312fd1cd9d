import { type Clock, notFound, type OrchestrationProvider, type ProviderFactory, ProviderRegistry, type ProviderRun, systemClock } from '@signalbox/core';
import { InMemoryProvider } from '@signalbox/core/testing';
import { managedRunsApiSuite } from './testing';
import { inMemoryEngine } from './testing/in-memory-engine';

/**
 * An orchestrator of one pipeline with a running run and a failed one, which cancels (marks failed)
 * and retries (queues again) runs as Airflow does: the in-memory provider, with those two calls.
 */
function orchestrator(clock: Clock): ProviderFactory {
  const memory = new InMemoryProvider(clock, 50);
  const at = new Date(clock.now().getTime() - 3600_000);
  memory.pipelineList.push({
    externalId: 'nightly',
    name: 'nightly',
    description: null,
    owner: null,
    tags: [],
    schedule: null,
    paused: false,
    nextRunAt: null,
  });
  const run = (externalId: string, status: 'running' | 'failed'): ProviderRun => ({
    pipelineExternalId: 'nightly',
    externalId,
    status,
    nativeStatus: status,
    runType: 'scheduled',
    logicalDate: at,
    queuedAt: at,
    startedAt: at,
    finishedAt: status === 'failed' ? at : null,
    durationSeconds: null,
    conf: null,
    note: null,
    updatedAt: at,
  });
  memory.runList.push(run('scheduled__running', 'running'), run('scheduled__failed', 'failed'));
  const change =
    (apply: (r: ProviderRun) => void) =>
    async (pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> => {
      const r = memory.runList.find((x) => x.pipelineExternalId === pipelineExternalId && x.externalId === runExternalId);
      if (!r) throw notFound('dag run', runExternalId);
      apply(r);
      r.updatedAt = clock.now();
      return structuredClone(r);
    };
  const provider: OrchestrationProvider = {
    check: () => memory.check(),
    pipelines: () => memory.pipelines(),
    changes: (cursor) => memory.changes(cursor),
    trigger: (pipeline, request) => memory.trigger(pipeline, request),
    getRun: (pipeline, id) => memory.getRun(pipeline, id),
    setPaused: (pipeline, paused) => memory.setPaused(pipeline, paused),
    cancelRun: change((r) => Object.assign(r, { status: 'failed', nativeStatus: 'failed', finishedAt: clock.now() })),
    retryRun: change((r) => Object.assign(r, { status: 'queued', nativeStatus: 'queued', finishedAt: null })),
  };
  return { create: () => provider, checkConfig: (config) => config };
}

/** The core on in-memory repositories with the embedded engine on the fake warehouse, and a worker running its jobs. */
managedRunsApiSuite('in-memory repositories, fake warehouse', async () => {
  const registry = new ProviderRegistry().register('airflow', orchestrator(systemClock));
  // Cancels are seen within a tenth of a second, and a run waiting its turn is looked at again soon.
  const { services, warehouse, close } = inMemoryEngine(registry, { idSeed: 11, engine: { cancelPollMs: 50, busyRetryMs: 100 } });
  return { services, warehouse, orchestrator: { type: 'airflow', config: { base_url: 'http://airflow.example.com' } }, close };
});
