import { isDomainError } from '../../errors';
import type { ChangePage, OrchestrationProvider } from '../../ports/provider';
import type { ProviderRun } from '../../run/run';
import { RUN_STATUSES, RUN_TYPES } from '../../run/run';
import type { ProviderTaskRun } from '../../task-run/task-run';
import { TASK_RUN_STATUSES } from '../../task-run/task-run';

export interface ProviderHarness {
  provider: OrchestrationProvider;
  /** Moves the orchestrator's time on (e.g. a fake clock), or waits. */
  advance?: (ms: number) => Promise<void> | void;
  close?: () => Promise<void>;
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let n = 0;
  for await (const page of pages) {
    n++;
    items.push(...page);
  }
  return { items, pages: n };
}

/** A whole change listing: its runs, task runs, final cursor, and the kinds of its pages in order. */
export async function collectChanges(
  changes: AsyncIterable<ChangePage>,
): Promise<{ runs: ProviderRun[]; taskRuns: ProviderTaskRun[]; cursor: string | null; kinds: ChangePage['kind'][] }> {
  const out = { runs: [] as ProviderRun[], taskRuns: [] as ProviderTaskRun[], cursor: null as string | null, kinds: [] as ChangePage['kind'][] };
  for await (const c of changes) {
    out.kinds.push(c.kind);
    if (c.kind === 'runs') out.runs.push(...c.runs);
    else if (c.kind === 'taskRuns') out.taskRuns.push(...c.taskRuns);
    else out.cursor = c.cursor;
  }
  return out;
}

const kindOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isDomainError(err) ? `${err.kind}/${err.code}` : `other: ${String(err)}`;
  }
};

/**
 * The contract every OrchestrationProvider keeps. `make` gives a provider over an orchestrator
 * with at least two pipelines, runs and task runs (among them a successful run, and a failed run
 * with a failed task run), where triggering, cancelling and retrying are allowed.
 */
export function providerContract(name: string, make: () => Promise<ProviderHarness>): void {
  describe(`OrchestrationProvider contract: ${name}`, () => {
    let h: ProviderHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close?.();
    });

    it('answers a connection check with its name', async () => {
      const info = await h.provider.check();
      expect(typeof info.name).toBe('string');
      expect(info.name.length).toBeGreaterThan(0);
    });

    it('lists every pipeline once, in non-empty pages', async () => {
      const { items, pages } = await collect(h.provider.pipelines());
      expect(items.length).toBeGreaterThanOrEqual(2);
      expect(pages).toBeGreaterThanOrEqual(1);
      expect(new Set(items.map((p) => p.externalId)).size).toBe(items.length);
      for (const p of items) {
        expect(typeof p.name).toBe('string');
        expect(Array.isArray(p.tags)).toBe(true);
        expect(typeof p.paused).toBe('boolean');
      }
    });

    it('lists runs of known pipelines with normalized statuses and types, then their task runs, then one cursor', async () => {
      const pipelines = new Set((await collect(h.provider.pipelines())).items.map((p) => p.externalId));
      const { runs, taskRuns, cursor, kinds } = await collectChanges(h.provider.changes(null));
      expect(kinds.join(',')).toMatch(/^(runs,)+(taskRuns,)+cursor$/);
      expect(typeof cursor).toBe('string');
      expect(runs.length).toBeGreaterThan(0);
      for (const r of runs) {
        expect(pipelines.has(r.pipelineExternalId)).toBe(true);
        expect(RUN_STATUSES).toContain(r.status);
        expect(RUN_TYPES).toContain(r.runType);
      }
      const keys = runs.map((r) => `${r.pipelineExternalId}/${r.externalId}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(taskRuns.length).toBeGreaterThan(0);
      for (const t of taskRuns) {
        expect(keys).toContain(`${t.pipelineExternalId}/${t.runExternalId}`);
        expect(TASK_RUN_STATUSES).toContain(t.status);
        expect(Number.isInteger(t.mapIndex)).toBe(true);
      }
    });

    it('lists from its own cursor what changed after the listing that returned it', async () => {
      const [pipeline] = (await collect(h.provider.pipelines())).items;
      const first = await collectChanges(h.provider.changes(null));
      await h.advance?.(1000);
      await h.provider.trigger(pipeline.externalId, { runId: 'signalbox__contract_cursor', conf: null, note: null, logicalDate: null });
      const next = await collectChanges(h.provider.changes(first.cursor));
      expect(next.runs.map((r) => r.externalId)).toContain('signalbox__contract_cursor');
      expect(typeof next.cursor).toBe('string');
      // What did not change since is not listed again in full.
      expect(next.runs.length).toBeLessThan(first.runs.length + 1);
    });

    it('triggers a run under the given id, finds it, and refuses the same id twice', async () => {
      const [pipeline] = (await collect(h.provider.pipelines())).items;
      const request = { runId: 'signalbox__contract_1', conf: { answer: 42 }, note: 'contract', logicalDate: null };
      const run = await h.provider.trigger(pipeline.externalId, request);
      expect(run.externalId).toBe('signalbox__contract_1');
      expect(run.pipelineExternalId).toBe(pipeline.externalId);
      expect(['queued', 'running']).toContain(run.status);
      expect(run.conf).toEqual({ answer: 42 });
      const fetched = await h.provider.getRun(pipeline.externalId, run.externalId);
      expect(fetched.externalId).toBe(run.externalId);
      expect(await kindOf(h.provider.trigger(pipeline.externalId, request))).toBe('conflict/RUN_EXISTS');
    });

    it('says not_found for an unknown pipeline or run', async () => {
      const request = { runId: 'signalbox__contract_2', conf: null, note: null, logicalDate: null };
      expect(await kindOf(h.provider.trigger('no_such_pipeline_x', request))).toMatch(/^not_found\//);
      const [pipeline] = (await collect(h.provider.pipelines())).items;
      expect(await kindOf(h.provider.getRun(pipeline.externalId, 'no_such_run_x'))).toMatch(/^not_found\//);
      expect(await kindOf(h.provider.setPaused('no_such_pipeline_x', true))).toMatch(/^not_found\//);
    });

    it('cancels a run: it is failed, as getRun and the next listing tell; not_found for an unknown run', async () => {
      const [pipeline] = (await collect(h.provider.pipelines())).items;
      await h.provider.trigger(pipeline.externalId, { runId: 'signalbox__contract_cancel', conf: null, note: null, logicalDate: null });
      const before = await collectChanges(h.provider.changes(null));
      await h.advance?.(1000);
      const run = await h.provider.cancelRun(pipeline.externalId, 'signalbox__contract_cancel');
      expect(run).toMatchObject({ pipelineExternalId: pipeline.externalId, externalId: 'signalbox__contract_cancel', status: 'failed' });
      expect((await h.provider.getRun(pipeline.externalId, run.externalId)).status).toBe('failed');
      const next = await collectChanges(h.provider.changes(before.cursor));
      expect(next.runs.find((r) => r.externalId === run.externalId)?.status).toBe('failed');
      for (const t of next.taskRuns.filter((x) => x.runExternalId === run.externalId)) expect(['running', 'queued', 'pending']).not.toContain(t.status);
      expect(await kindOf(h.provider.cancelRun(pipeline.externalId, 'no_such_run_x'))).toMatch(/^not_found\//);
      expect(await kindOf(h.provider.cancelRun('no_such_pipeline_x', 'no_such_run_x'))).toMatch(/^not_found\//);
    });

    it('retries a failed run: its failed task runs are cleared and it is queued or running again; not_found for an unknown run', async () => {
      const { runs, taskRuns } = await collectChanges(h.provider.changes(null));
      const key = (x: { pipelineExternalId: string }, runId: string) => `${x.pipelineExternalId}/${runId}`;
      const failedTasks = (r: ProviderRun) => taskRuns.filter((t) => key(t, t.runExternalId) === key(r, r.externalId) && t.status === 'failed');
      const failed = runs.find((r) => r.status === 'failed' && failedTasks(r).length > 0);
      expect(failed).toBeDefined();
      await h.advance?.(1000);
      const run = await h.provider.retryRun(failed!.pipelineExternalId, failed!.externalId);
      expect(run.externalId).toBe(failed!.externalId);
      expect(['queued', 'running']).toContain(run.status);
      expect(['queued', 'running']).toContain((await h.provider.getRun(failed!.pipelineExternalId, failed!.externalId)).status);
      const after = await collectChanges(h.provider.changes(null));
      for (const was of failedTasks(failed!)) {
        const now = after.taskRuns.find(
          (t) => key(t, t.runExternalId) === key(was, was.runExternalId) && t.taskId === was.taskId && t.mapIndex === was.mapIndex,
        );
        expect(now?.status).not.toBe('failed');
      }
      expect(await kindOf(h.provider.retryRun(failed!.pipelineExternalId, 'no_such_run_x'))).toMatch(/^not_found\//);
    });

    it('leaves a successful run as it is when asked to retry it', async () => {
      const { runs } = await collectChanges(h.provider.changes(null));
      const done = runs.find((r) => r.status === 'success');
      expect(done).toBeDefined();
      const run = await h.provider.retryRun(done!.pipelineExternalId, done!.externalId);
      expect(run.status).toBe('success');
      expect((await h.provider.getRun(done!.pipelineExternalId, done!.externalId)).status).toBe('success');
    });

    it('pauses and unpauses a pipeline, idempotently, as its next listing shows', async () => {
      const [pipeline] = (await collect(h.provider.pipelines())).items;
      const pausedOf = async () => (await collect(h.provider.pipelines())).items.find((p) => p.externalId === pipeline.externalId)?.paused;
      await h.provider.setPaused(pipeline.externalId, !pipeline.paused);
      await h.provider.setPaused(pipeline.externalId, !pipeline.paused);
      expect(await pausedOf()).toBe(!pipeline.paused);
      await h.provider.setPaused(pipeline.externalId, pipeline.paused);
      expect(await pausedOf()).toBe(pipeline.paused);
    });
  });
}
