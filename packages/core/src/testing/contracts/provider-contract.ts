import { isDomainError } from '../../errors';
import type { OrchestrationProvider } from '../../ports/provider';
import { RUN_STATUSES, RUN_TYPES } from '../../run/run';
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
 * with at least two pipelines, runs and task runs, where triggering is allowed.
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

    it('lists runs of known pipelines with normalized statuses and types', async () => {
      const pipelines = new Set((await collect(h.provider.pipelines())).items.map((p) => p.externalId));
      const { items } = await collect(h.provider.runs(null));
      expect(items.length).toBeGreaterThan(0);
      for (const r of items) {
        expect(pipelines.has(r.pipelineExternalId)).toBe(true);
        expect(RUN_STATUSES).toContain(r.status);
        expect(RUN_TYPES).toContain(r.runType);
      }
      const keys = items.map((r) => `${r.pipelineExternalId}/${r.externalId}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('lists only runs and task runs updated since a time', async () => {
      const all = (await collect(h.provider.runs(null))).items.filter((r) => r.updatedAt !== null);
      const times = all.map((r) => r.updatedAt!.getTime()).sort((a, b) => a - b);
      const since = new Date(times[Math.floor(times.length / 2)]);
      const recent = (await collect(h.provider.runs(since))).items;
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.length).toBe(all.filter((r) => r.updatedAt!.getTime() >= since.getTime()).length);
      for (const r of recent) expect(r.updatedAt!.getTime()).toBeGreaterThanOrEqual(since.getTime());
      const tasks = (await collect(h.provider.taskRuns(since))).items;
      for (const t of tasks) expect(t.updatedAt!.getTime()).toBeGreaterThanOrEqual(since.getTime());
    });

    it('lists task runs of known runs with normalized statuses', async () => {
      const runs = new Set((await collect(h.provider.runs(null))).items.map((r) => `${r.pipelineExternalId}/${r.externalId}`));
      const { items } = await collect(h.provider.taskRuns(null));
      expect(items.length).toBeGreaterThan(0);
      for (const t of items) {
        expect(runs.has(`${t.pipelineExternalId}/${t.runExternalId}`)).toBe(true);
        expect(TASK_RUN_STATUSES).toContain(t.status);
        expect(Number.isInteger(t.mapIndex)).toBe(true);
      }
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
    });
  });
}
