import { ARGO_SPEC_VERSIONS, type ArgoStub, argoSwagger, startArgoStub } from '@signalbox/argo-stub';
import { decodeStep, type EnginePlan, isDomainError, type RunOptions, workflowNameOf } from '@signalbox/core';
import { type ArgoEngine, argoEngineFactory, observedSteps } from './argo-engine';
import { readArgoConfig } from './config';
import { taskNames, workflowManifest } from './manifest';
import { argoConnector, until } from './testing';
import type { Workflow } from './types';

const CONFIG = readArgoConfig({
  base_url: 'https://argo.example.com',
  namespace: 'data',
  token: 't',
  image: 'registry.example.com/signalbox/step-runner:1',
  service_account: 'signalbox-runner',
  warehouse_secret: { name: 'warehouse', key: 'url' },
});

const RUN_ID = '0190f5c2-7a4e-7b3c-9d1e-2f3a4b5c6d7e';
const OPTIONS: RunOptions = { full_refresh: false, dry_run: false, variables: {}, from_step: null };

/** A plan of three steps; the first binds a value that looks like SQL and like an Argo tag. */
function aPlan(over: Partial<EnginePlan> = {}, runId = RUN_ID): EnginePlan {
  const statement = (step: string, sql: string, params: unknown[] = []) => ({
    runId,
    step,
    jobType: 'extract' as const,
    sql,
    params,
    searchPath: ['staging_orders_0190f5c2', 'public'],
    output: { schema: 'staging_orders_0190f5c2', name: step },
    mode: 'replace' as const,
  });
  return {
    runId,
    name: workflowNameOf(runId),
    spaceId: 'space-1',
    pipeline: { id: 'pipeline-1', name: 'orders' },
    version: { id: 'version-1', number: 3 },
    steps: [
      {
        name: 'Extract_Orders',
        jobType: 'extract',
        statement: statement('Extract_Orders', "SELECT $1::text AS v, '{{workflow.name}}' AS t", ["'; DROP TABLE x; --"]),
        dependsOn: [],
      },
      {
        name: 'daily totals',
        jobType: 'data-transform',
        statement: statement('daily totals', 'SELECT * FROM "Extract_Orders"'),
        dependsOn: ['Extract_Orders'],
      },
      { name: 'publish', jobType: 'load', statement: statement('publish', 'SELECT * FROM "daily totals"'), dependsOn: ['daily totals'] },
    ],
    variables: { since: '2026-01-01', limit: 10, flag: null },
    options: { ...OPTIONS },
    ...over,
  };
}

describe('the Workflow of a managed run', () => {
  it('is valid against both official swagger files as a create request', () => {
    const workflow = workflowManifest(aPlan(), CONFIG);
    for (const version of ARGO_SPEC_VERSIONS) {
      const errors = argoSwagger(version).checkRequest({ method: 'POST', path: '/api/v1/workflows/data', query: {}, body: { namespace: 'data', workflow } });
      expect({ version, errors }).toEqual({ version, errors: [] });
    }
  });

  it('names it after the run, labels it with space, pipeline, version and run, and runs as the connector’s service account', () => {
    const wf = workflowManifest(aPlan(), CONFIG);
    expect(wf.metadata).toMatchObject({
      name: `signalbox-${RUN_ID.replaceAll('-', '')}`,
      labels: {
        'signalbox.io/run-id': RUN_ID,
        'signalbox.io/space-id': 'space-1',
        'signalbox.io/pipeline-id': 'pipeline-1',
        'signalbox.io/version-id': 'version-1',
      },
    });
    expect(wf.metadata.generateName).toBeUndefined();
    expect(wf.spec?.serviceAccountName).toBe('signalbox-runner');
    expect(wf.spec?.arguments?.parameters).toEqual([
      { name: 'since', value: '"2026-01-01"' },
      { name: 'limit', value: '10' },
      { name: 'flag', value: 'null' },
    ]);
  });

  it('has one dag task per step, in order, each on the one before, with DNS-safe unique names', () => {
    const wf = workflowManifest(aPlan(), CONFIG);
    const [main] = wf.spec?.templates ?? [];
    const tasks = (main as unknown as { dag: { tasks: { name: string; dependencies?: string[] }[] } }).dag.tasks;
    expect(tasks.map((t) => [t.name, t.dependencies ?? []])).toEqual([
      ['extract-orders', []],
      ['daily-totals', ['extract-orders']],
      ['publish', ['daily-totals']],
    ]);
    expect(JSON.parse(wf.metadata.annotations?.['signalbox.io/steps'] ?? '')).toEqual({
      'extract-orders': 'Extract_Orders',
      'daily-totals': 'daily totals',
      publish: 'publish',
    });
  });

  it('carries each statement untouched, its values bound, and the warehouse URL only as a Secret reference', () => {
    const plan = aPlan();
    const wf = workflowManifest(plan, CONFIG);
    const tasks = ((wf.spec?.templates ?? [])[0] as unknown as { dag: { tasks: { arguments: { parameters: { value: string }[] } }[] } }).dag.tasks;
    const carried = tasks.map((t) => decodeStep(t.arguments.parameters[0].value));
    expect(carried).toEqual(plan.steps.map((s) => s.statement));
    // Nothing Argo would template: the only `{{…}}` is the step template's own input.
    const text = JSON.stringify(wf);
    expect(text.match(/\{\{[^}]*\}\}/g)).toEqual(['{{inputs.parameters.step}}']);
    expect(text).not.toContain('DROP TABLE');
    const container = ((wf.spec?.templates ?? [])[1] as unknown as { container: { image: string; env: unknown[] } }).container;
    expect(container.image).toBe('registry.example.com/signalbox/step-runner:1');
    expect(container.env).toContainEqual({ name: 'SIGNALBOX_WAREHOUSE_URL', valueFrom: { secretKeyRef: { name: 'warehouse', key: 'url' } } });
  });

  it('makes task names DNS-safe, short and unique', () => {
    const long = 'x'.repeat(80);
    const names = taskNames(['load_orders', 'Load-Orders', '__', 'load orders', long, `${long}_`]);
    expect([...names.values()]).toEqual(['load-orders', 'load-orders-2', 'step', 'load-orders-3', 'x'.repeat(63), `${'x'.repeat(61)}-2`]);
    for (const n of names.values()) expect(n).toMatch(/^[a-z0-9][-a-z0-9]{0,62}$/);
  });
});

describe('the steps of a Workflow as Argo tells them', () => {
  const wf = (nodes: Record<string, unknown>): Workflow => ({
    metadata: { name: 'w', annotations: { 'signalbox.io/steps': JSON.stringify({ a: 'step_a', b: 'step_b', c: 'step_c' }) } },
    status: { phase: 'Running', nodes: nodes as never },
  });

  it('maps each task’s node (its Retry node over the attempts) to its step, with the outcome the step wrote', () => {
    const steps = observedSteps(
      wf({
        w: { id: 'w', name: 'w', type: 'DAG', displayName: 'w', phase: 'Running' },
        n1: {
          id: 'n1',
          name: 'w.a',
          type: 'Pod',
          displayName: 'a',
          phase: 'Succeeded',
          startedAt: '2026-11-28T00:00:00Z',
          finishedAt: '2026-11-28T00:00:05Z',
          outputs: { parameters: [{ name: 'outcome', value: '{"rows":12,"cursor":"2026-11-27"}' }] },
        },
        r: { id: 'r', name: 'w.b', type: 'Retry', displayName: 'b', phase: 'Running', children: ['p1', 'p2'] },
        p1: { id: 'p1', name: 'w.b(0)', type: 'Pod', displayName: 'b(0)', phase: 'Failed', message: 'exit 1' },
        p2: { id: 'p2', name: 'w.b(1)', type: 'Pod', displayName: 'b(1)', phase: 'Running' },
        x: { id: 'x', name: 'w.other', type: 'Pod', displayName: 'other', phase: 'Succeeded' },
      }),
    );
    expect(steps).toEqual([
      expect.objectContaining({ name: 'step_a', status: 'success', rows: 12, cursor: '2026-11-27', startedAt: new Date('2026-11-28T00:00:00Z') }),
      expect.objectContaining({ name: 'step_b', status: 'running', rows: null }),
    ]);
  });

  it('reads no rows from a missing or unreadable outcome', () => {
    const [step] = observedSteps(
      wf({ n: { id: 'n', name: 'w.a', type: 'Pod', displayName: 'a', phase: 'Succeeded', outputs: { parameters: [{ name: 'outcome', value: 'not json' }] } } }),
    );
    expect(step).toMatchObject({ status: 'success', rows: null, cursor: null });
  });
});

describe('the Argo engine against the stub', () => {
  let stub: ArgoStub;
  let engine: ArgoEngine;

  beforeEach(async () => {
    stub = await startArgoStub({ stepMs: 60 });
    engine = argoEngineFactory({ timeoutMs: 5000, retries: 0 }).create({
      ...argoConnector(stub),
      config: { ...argoConnector(stub).config, warehouse_secret: { name: 'warehouse', key: 'url' } },
    }) as ArgoEngine;
  });
  afterEach(async () => {
    try {
      expect(stub.violations).toEqual([]);
    } finally {
      await stub.close();
    }
  });

  it('submits once: a second submission of the same run adopts the Workflow, another run’s is refused', async () => {
    const plan = aPlan();
    const first = await engine.submit(plan);
    expect(first.metadata).toMatchObject({ name: plan.name, uid: expect.any(String) });
    const again = await engine.submit(plan);
    expect(again.metadata).toMatchObject({ name: plan.name, uid: first.metadata.uid, adopted: true });
    expect(stub.data.workflows.filter((w) => w.name === plan.name)).toHaveLength(1);

    const stranger = aPlan({ name: plan.name }, '0190f5c2-0000-7000-8000-000000000001');
    const refused = await engine.submit(stranger).catch((e: unknown) => e);
    expect(isDomainError(refused) && [refused.kind, refused.code]).toEqual(['conflict', 'WORKFLOW_EXISTS']);
  });

  it('follows the Workflow to its end, step by step', async () => {
    const plan = aPlan();
    stub.taskOutputs = () => ({ outcome: '{"rows":3,"cursor":null}' });
    await engine.submit(plan);
    await until('the workflow to finish', async () => (await engine.observe(plan.name)).status === 'success');
    const seen = await engine.observe(plan.name);
    expect(seen.steps.map((s) => [s.name, s.status, s.rows])).toEqual([
      ['Extract_Orders', 'success', 3],
      ['daily totals', 'success', 3],
      ['publish', 'success', 3],
    ]);
    expect(seen.metadata).toMatchObject({ phase: 'Succeeded', progress: '3/3' });
    // A GET for a look asks for the state only, never the spec.
    const looks = stub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(plan.name));
    expect(looks.every((r) => typeof r.query.fields === 'string' && !String(r.query.fields).includes('spec'))).toBe(true);
  });

  it('stops a running Workflow, and stopping a finished one changes nothing', async () => {
    const plan = aPlan();
    stub.taskOutcome = () => 'Succeeded';
    await engine.submit(plan);
    await engine.stop(plan.name, 'canceled in Signalbox');
    await until('the workflow to stop', async () => (await engine.observe(plan.name)).status === 'failed');
    await engine.stop(plan.name, 'again');
    expect((await engine.observe(plan.name)).status).toBe('failed');
  });

  it('dry-runs with serverDryRun: checked by the server, stored nowhere', async () => {
    const plan = aPlan({ options: { ...OPTIONS, dry_run: true } });
    const before = stub.data.workflows.length;
    const answer = await engine.submit(plan);
    expect(answer.metadata).toMatchObject({ server_dry_run: true, name: plan.name });
    expect([stub.data.workflows.length, stub.data.get(stub.namespace, plan.name)]).toEqual([before, undefined]);
  });

  it('answers not_found for a Workflow Argo does not know', async () => {
    const missing = await engine.observe('signalbox-0000').catch((e: unknown) => e);
    expect(isDomainError(missing) && missing.kind).toBe('not_found');
  });
});
