import type { ProviderRun } from '../run/run';
import { providerContract } from './contracts/provider-contract';
import { FakeClock } from './fakes';
import { InMemoryProvider } from './in-memory-provider';

providerContract('InMemoryProvider', async () => {
  const clock = new FakeClock('2026-03-01T12:00:00.000Z');
  const provider = new InMemoryProvider(clock);
  const at = (minutes: number) => new Date(clock.now().getTime() + minutes * 60_000);
  const pipeline = (externalId: string) => ({
    externalId,
    name: externalId,
    description: null,
    owner: null,
    tags: [],
    schedule: null,
    paused: false,
    nextRunAt: null,
  });
  const run = (pipelineExternalId: string, externalId: string, minutes: number): ProviderRun => ({
    pipelineExternalId,
    externalId,
    status: 'success',
    nativeStatus: 'success',
    runType: 'scheduled',
    logicalDate: at(minutes),
    queuedAt: at(minutes),
    startedAt: at(minutes),
    finishedAt: at(minutes + 1),
    durationSeconds: 60,
    conf: null,
    note: null,
    updatedAt: at(minutes + 1),
  });
  provider.pipelineList = [pipeline('etl'), pipeline('report')];
  provider.runList = [run('etl', 'r1', -120), run('etl', 'r2', -60), run('report', 'r3', -30)];
  provider.taskRunList = provider.runList.map((r) => ({
    pipelineExternalId: r.pipelineExternalId,
    runExternalId: r.externalId,
    taskId: 'load',
    mapIndex: -1,
    status: 'success' as const,
    nativeStatus: 'success',
    tryNumber: 1,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationSeconds: 60,
    operator: null,
    updatedAt: r.updatedAt,
  }));
  // A failed run: its first task failed, the one after it upstream_failed.
  const failed = { ...run('report', 'r4', -10), status: 'failed' as const, nativeStatus: 'failed' };
  provider.runList.push(failed);
  for (const [taskId, status] of [
    ['extract', 'failed'],
    ['load', 'upstream_failed'],
  ] as const) {
    provider.taskRunList.push({ ...provider.taskRunList[0], pipelineExternalId: 'report', runExternalId: 'r4', taskId, status, nativeStatus: status });
  }
  return { provider, advance: (ms) => clock.advance(ms) };
});
