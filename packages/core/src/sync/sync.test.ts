import type { ProviderRun } from '../run/run';
import { LastRuns } from './sync';

describe('the last runs a sync notes', () => {
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 12, minutes));
  const run = (pipeline: string, status: ProviderRun['status'], startedAt: Date | null, queuedAt: Date | null = null) =>
    ({ pipelineExternalId: pipeline, status, startedAt, queuedAt, logicalDate: null }) as ProviderRun;

  it('keeps one per pipeline: the latest by its time, the one noted last on a tie, the time it was seen for a run with none', () => {
    const last = new LastRuns();
    last.note([run('a', 'success', at(10)), run('a', 'failed', at(5)), run('b', 'running', null, at(7))], at(30));
    last.note([run('a', 'failed', at(10)), run('b', 'success', at(6)), run('c', 'queued', null)], at(40));
    const [batch] = last.batches(10);
    expect(batch).toEqual([
      { pipelineExternalId: 'a', status: 'failed', runAt: at(10) },
      { pipelineExternalId: 'b', status: 'running', runAt: at(7) },
      { pipelineExternalId: 'c', status: 'queued', runAt: at(40) },
    ]);
  });

  it('hands them over in batches, keeping each until it is forgotten, and a newer run noted meanwhile', () => {
    const last = new LastRuns();
    last.note(
      ['a', 'b', 'c', 'd', 'e'].map((p) => run(p, 'success', at(1))),
      at(2),
    );
    const batches = last.batches(2);
    expect(batches.map((b) => b.map((r) => r.pipelineExternalId))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    last.note([run('c', 'failed', at(3))], at(4));
    last.forget(batches[0]);
    last.forget(batches[1]);
    expect(last.batches(2)).toEqual([
      [
        { pipelineExternalId: 'c', status: 'failed', runAt: at(3) },
        { pipelineExternalId: 'e', status: 'success', runAt: at(1) },
      ],
    ]);
  });
});
