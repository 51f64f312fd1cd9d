import { randomUUID } from 'node:crypto';
import { type ArgoStub, startArgoStub } from '@signalbox/argo-stub';
import request from 'supertest';
import { type EngineHarness, engineContract } from './engine-contract';
import { argoConnectorBody, runningApp } from './test-support';
import { T } from './tokens';

const KEY = 'sbx_engine_contract_key_0123456789abcd';
const auth = { Authorization: `Bearer ${KEY}` };
const base = '/api/v1.0/spaces/data/orchestration';

engineContract('embedded, on the space’s PGlite warehouse', async (): Promise<EngineHarness> => {
  const { container, app, spaceId, close } = await runningApp(KEY);
  const warehouse = (await container.getAsync(T.warehouses)).of({ kind: 'embedded', spaceId });
  // A statement of the harness's own, outside any run.
  const exec = (sql: string) =>
    warehouse.execute(
      { runId: randomUUID(), step: 'harness', jobType: 'extract', sql, params: [], searchPath: ['public'], output: null, mode: 'replace' },
      new AbortController().signal,
    );
  await exec('CREATE TABLE IF NOT EXISTS public.raw_orders AS SELECT 1 AS id');
  return {
    app,
    auth,
    base,
    engine: 'embedded',
    // The step joins public.raw_orders: without the table it fails as a user's broken query does.
    failStep: async (_step, failing) => {
      await exec(failing ? 'DROP TABLE IF EXISTS public.raw_orders' : 'CREATE TABLE IF NOT EXISTS public.raw_orders AS SELECT 1 AS id');
    },
    // The first step sleeps for the run's `pause` variable: nothing to change here.
    holdSteps: async () => undefined,
    close,
  };
});

engineContract('argo, against the Argo Server stub', async (): Promise<EngineHarness> => {
  const stub: ArgoStub = await startArgoStub({ seed: 11, templates: 1, cronWorkflows: 0, workflows: 0, stepMs: 100 });
  const failing = new Set<string>();
  stub.taskOutcome = (_wf, task) => (failing.has(task) ? 'Failed' : 'Succeeded');
  // What the step container writes once it has committed (the stub runs no containers).
  stub.taskOutputs = () => ({ outcome: JSON.stringify({ rows: 4, cursor: null }) });
  const { app, close } = await runningApp(KEY);
  const created = await request(app).post('/api/v1.0/spaces/data/connectors').set(auth).send(argoConnectorBody(stub));
  expect([created.status, created.body.error]).toEqual([201, undefined]);
  return {
    app,
    auth,
    base,
    engine: 'argo-prod',
    // Task names are the step names made DNS-safe.
    failStep: async (step, fail) => {
      const task = step.replaceAll('_', '-');
      if (fail) failing.add(task);
      else failing.delete(task);
    },
    holdSteps: async (holding) => {
      stub.data.stepMs = holding ? 600_000 : 100;
    },
    close: async () => {
      expect(stub.violations).toEqual([]);
      await close();
      await stub.close();
    },
  };
});
