import request from 'supertest';

/** One engine under the contract, behind the standalone app's real wiring. */
export interface EngineHarness {
  app: Parameters<typeof request>[0];
  auth: Record<string, string>;
  /** The orchestration base of the space, e.g. /api/v1.0/spaces/data/orchestration. */
  base: string;
  /** What a definition names as its engine. */
  engine: string;
  /** Makes the step fail in every run from now on (true), or succeed again (false). */
  failStep(step: string, failing: boolean): Promise<void>;
  /**
   * Makes steps run until they are stopped (true) or at their pace again (false). Runs of a held
   * engine are triggered with the variable `pause` at 60 (seconds), which an engine that runs the SQL
   * sleeps for.
   */
  holdSteps(holding: boolean): Promise<void>;
  close(): Promise<void>;
}

const TERMINAL = ['success', 'failed', 'canceled'];
const STEPS = ['extract_orders', 'daily_totals', 'publish'];

/**
 * Three steps: the first sleeps `pause` seconds, the second joins a table of the warehouse's
 * `public` schema (`raw_orders`, which a harness may drop to make it fail), the last loads.
 */
const definition = (name: string, engine: string) => ({
  name,
  engine,
  variables: { pause: 0 },
  steps: STEPS.map((step, i) => ({
    name: step,
    config: {
      query_type: 'sql',
      query: [
        'SELECT g AS n FROM generate_series(1, 4) g, pg_sleep(:pause)',
        'SELECT e.n, r.id FROM extract_orders e JOIN raw_orders r ON r.id = 1',
        'SELECT * FROM daily_totals',
      ][i],
      input_datasets: i === 0 ? [] : [STEPS[i - 1]],
      output_datasets: [step],
      job_type: i === 0 ? 'extract' : i === STEPS.length - 1 ? 'load' : 'data-transform',
    },
  })),
});

/**
 * What every engine does with a managed run, seen through the API: the steps run in order to the
 * end with progress and rows; a failing step fails the run by name and a retry runs from it; a
 * cancel stops a running run; a dry run succeeds with every step planned and nothing run. The
 * embedded engine and the Argo engine (against the stub) both run it.
 */
export function engineContract(label: string, setup: () => Promise<EngineHarness>): void {
  describe(`the engine contract (${label})`, () => {
    jest.setTimeout(180_000);
    let h: EngineHarness;
    let count = 0;

    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close();
    });

    const api = () => ({
      get: (path: string) => request(h.app).get(`${h.base}/${path}`).set(h.auth),
      post: (path: string, body: object = {}) => request(h.app).post(`${h.base}/${path}`).set(h.auth).send(body),
    });

    const define = async () => {
      const res = await api().post('pipelines', definition(`contract-${++count}`, h.engine));
      expect([res.status, res.body.error]).toEqual([201, undefined]);
      return res.body.id as string;
    };

    /** The run once it has finished, through rounds of the server's long poll. */
    const finished = async (runId: string) => {
      for (let round = 0; round < 10; round++) {
        const res = await api().get(`runs/${runId}?wait_seconds=15`);
        expect(res.status).toBe(200);
        if (TERMINAL.includes(res.body.status)) return res.body;
      }
      throw new Error(`run ${runId} did not finish`);
    };
    const stepsOf = (run: { task_runs: { task_id: string; status: string }[] }) => Object.fromEntries(run.task_runs.map((t) => [t.task_id, t]));

    it('runs the steps in order to success, with progress, rows per step and rows loaded', async () => {
      const pipelineId = await define();
      const trigger = await api().post(`pipelines/${pipelineId}/trigger`, {});
      expect(trigger.status).toBe(201);
      const run = await finished(trigger.body.id);
      expect(run).toMatchObject({ status: 'success', error: null, progress: { steps_done: 3, steps_total: 3, step: 'publish', stage: 'load' } });
      expect(run.rows_loaded).toBeGreaterThan(0);
      const detail = (await api().get(`runs/${run.id}`)).body;
      expect(detail.task_runs.map((t: { task_id: string; status: string }) => [t.task_id, t.status])).toEqual(STEPS.map((s) => [s, 'success']));
      for (const t of detail.task_runs) expect(t.rows).toBeGreaterThan(0);
      expect((await api().get(`pipelines/${pipelineId}`)).body.last_run_status).toBe('success');
    });

    it('fails at the failing step by name, never runs the steps after it, and a retry runs from that step', async () => {
      const pipelineId = await define();
      await h.failStep('daily_totals', true);
      const trigger = await api().post(`pipelines/${pipelineId}/trigger`, {});
      const failed = await finished(trigger.body.id);
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED', step: 'daily_totals' } });
      const steps = stepsOf((await api().get(`runs/${failed.id}`)).body);
      expect([steps.extract_orders.status, steps.daily_totals.status]).toEqual(['success', 'failed']);
      expect(steps.publish?.status).not.toBe('success');

      await h.failStep('daily_totals', false);
      const retry = await api().post(`runs/${failed.id}/retry`, {});
      expect([retry.status, retry.body.options?.from_step]).toEqual([201, 'daily_totals']);
      const again = await finished(retry.body.id);
      expect(again.status).toBe('success');
      const retried = (await api().get(`runs/${again.id}`)).body;
      expect(retried.task_runs.map((t: { task_id: string; status: string }) => [t.task_id, t.status])).toEqual([
        ['daily_totals', 'success'],
        ['publish', 'success'],
      ]);
    });

    it('stops a running run on cancel: canceled, its later steps never succeed', async () => {
      const pipelineId = await define();
      await h.holdSteps(true);
      try {
        const trigger = await api().post(`pipelines/${pipelineId}/trigger`, { variables: { pause: 60 } });
        let running = false;
        for (let i = 0; i < 600 && !running; i++) {
          const now = (await api().get(`runs/${trigger.body.id}`)).body;
          running = now.status === 'running' && now.task_runs.some((t: { status: string }) => t.status === 'running');
          if (!running) await new Promise((r) => setTimeout(r, 50));
        }
        expect(running).toBe(true);
        expect((await api().post(`runs/${trigger.body.id}/cancel`)).status).toBe(202);
        const run = await finished(trigger.body.id);
        expect(run).toMatchObject({ status: 'canceled', error: { code: 'RUN_CANCELED', step: 'extract_orders' } });
        const steps = stepsOf((await api().get(`runs/${run.id}`)).body);
        expect([steps.daily_totals?.status, steps.publish?.status].includes('success')).toBe(false);
      } finally {
        await h.holdSteps(false);
      }
    });

    it('dry-runs: success with every step planned, none run, and the pipeline’s last run unchanged', async () => {
      const pipelineId = await define();
      const trigger = await api().post(`pipelines/${pipelineId}/trigger`, { dry_run: true });
      const run = await finished(trigger.body.id);
      expect(run).toMatchObject({ status: 'success', options: { dry_run: true }, rows_loaded: null });
      const detail = (await api().get(`runs/${run.id}`)).body;
      for (const t of detail.task_runs) expect([t.task_id, t.status, t.plan === null]).toEqual([t.task_id, 'success', false]);
      expect(detail.task_runs).toHaveLength(3);
      expect((await api().get(`pipelines/${pipelineId}`)).body).toMatchObject({ last_run_status: null, last_run_at: null });
    });
  });
}
