import type { ChangePage } from '../ports/provider';
import type { ProviderRun } from '../run/run';
import type { ProviderTaskRun } from '../task-run/task-run';
import { joinsBatch, LastRuns, mergePages, SYNC_BATCH_ROWS } from './sync';

const runs = (n: number, from = 0): ChangePage => ({
  kind: 'runs',
  runs: Array.from({ length: n }, (_, i) => ({ externalId: `r${from + i}` }) as ProviderRun),
});
const taskRuns = (n: number): ChangePage => ({ kind: 'taskRuns', taskRuns: Array.from({ length: n }, (_, i) => ({ taskId: `t${i}` }) as ProviderTaskRun) });
const cursor: ChangePage = { kind: 'cursor', cursor: '2026-11-28T00:00:00Z' };

describe('a sync batch', () => {
  it('joins pages of the same rows while the batch stays within the cap', () => {
    expect(joinsBatch([runs(100)], runs(100))).toBe(true);
    expect(joinsBatch([taskRuns(100), taskRuns(100)], taskRuns(100))).toBe(true);
    expect(joinsBatch([runs(SYNC_BATCH_ROWS - 100)], runs(100))).toBe(true);
    expect(joinsBatch([runs(SYNC_BATCH_ROWS - 100)], runs(101))).toBe(false);
    expect(joinsBatch([runs(60), runs(SYNC_BATCH_ROWS - 100)], runs(41))).toBe(false);
  });

  it('never joins runs with task runs, nor anything with the cursor', () => {
    expect(joinsBatch([runs(10)], taskRuns(10))).toBe(false);
    expect(joinsBatch([taskRuns(10)], runs(10))).toBe(false);
    expect(joinsBatch([taskRuns(10)], cursor)).toBe(false);
    expect(joinsBatch([cursor], cursor)).toBe(false);
  });

  it('is written as one page with the rows of its pages in order', () => {
    const merged = mergePages([runs(2, 0), runs(3, 2)]);
    expect(merged.kind === 'runs' && merged.runs.map((r) => r.externalId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    const tasks = mergePages([taskRuns(2), taskRuns(1)]);
    expect(tasks.kind === 'taskRuns' && tasks.taskRuns.map((t) => t.taskId)).toEqual(['t0', 't1', 't0']);
    expect(mergePages([cursor])).toBe(cursor);
  });
});

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
