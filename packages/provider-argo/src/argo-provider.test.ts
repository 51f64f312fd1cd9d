import type { ArgoStub } from '@signalbox/argo-stub';
import { workflowNameOf } from '@signalbox/core';
import { collectChanges } from '@signalbox/core/testing';
import { type ArgoProvider, argoProviderFactory } from './argo-provider';
import { TRIGGERED_RUN_LABEL } from './mapping';
import { argoConnector, argoSetup, collect, failure, until } from './testing';

// The Argo adapter against the stub over real HTTP; every test ends with no swagger violation.
let stub: ArgoStub;
let provider: ArgoProvider;

afterEach(async () => {
  if (!stub) return;
  try {
    expect(stub.violations).toEqual([]);
  } finally {
    await stub.close();
  }
});

const setup = async (...args: Parameters<typeof argoSetup>) => {
  ({ stub, provider } = await argoSetup(...args));
};

const key = (r: { pipelineExternalId: string; externalId: string }) => `${r.pipelineExternalId}/${r.externalId}`;
const request = (runId: string, conf: Record<string, unknown> | null = null) => ({ runId, conf, note: null, logicalDate: null });

describe('Argo provider (stub)', () => {
  it('checks the connection: version and token', async () => {
    await setup({ argoVersion: '4.1.2' });
    expect(await provider.check()).toEqual({ name: 'argo', version: expect.stringMatching(/4\.1\.2/), apiVersion: 'v1' });
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/version', `GET /api/v1/cron-workflows/${stub.namespace}`]);
  });

  it('lists cron workflows then templates, in pages, with distinct external ids', async () => {
    await setup({ seed: 3, templates: 5, cronWorkflows: 4, workflows: 0 }, { pageSize: 2 });
    const { items, sizes } = await collect(provider.pipelines());
    expect(items).toHaveLength(9);
    expect(new Set(items.map((p) => p.externalId)).size).toBe(9);
    expect(items.slice(0, 4).every((p) => p.externalId.startsWith('cronworkflow/') && p.schedule !== null)).toBe(true);
    expect(items.slice(4).every((p) => p.externalId.startsWith('workflowtemplate/') && p.schedule === null && !p.paused)).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    const lists = stub.requests.filter((r) => r.path.endsWith(`/workflow-templates/${stub.namespace}`));
    expect(lists.every((r) => r.query['listOptions.limit'] === '2')).toBe(true);
  });

  it('misses nothing when paging: small pages list what one big page lists', async () => {
    await setup({ seed: 11, templates: 3, cronWorkflows: 2, workflows: 60, archivedShare: 0.3 }, { pageSize: 4 });
    const small = await collectChanges(provider.changes(null));
    const big = await collectChanges((await argoSetupOn(stub, { pageSize: 500 })).changes(null));
    expect(small.runs.length).toBeGreaterThan(10);
    expect(small.runs.map(key).sort()).toEqual(big.runs.map(key).sort());
    expect(new Set(small.runs.map(key)).size).toBe(small.runs.length);
    const tasks = (c: typeof small) => c.taskRuns.map((t) => `${t.pipelineExternalId}/${t.runExternalId}/${t.taskId}`).sort();
    expect(tasks(small)).toEqual(tasks(big));
    expect(small.kinds.join(',')).toMatch(/^(runs,)+(taskRuns,)+cursor$/);
  });

  it('asks for small answers: the runs pass with fields and no nodes, only declared parameters', async () => {
    await setup({ seed: 4, workflows: 10 }, { pageSize: 5 });
    await collectChanges(provider.changes(null));
    const lists = stub.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/workflows/${stub.namespace}`);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    for (const r of lists) {
      expect(r.query.fields).toBeDefined();
      expect(r.query['listOptions.limit']).toBe('5');
      expect(r.query['listOptions.labelSelector']).toBe('!signalbox.io/run-id');
    }
    expect(lists.some((r) => String(r.query.fields).includes('items.status.nodes'))).toBe(true);
    expect(lists.some((r) => !String(r.query.fields).includes('items.status.nodes'))).toBe(true);
  });

  it('reads with GET the archived items a list serves without nodes', async () => {
    await setup({ seed: 5, templates: 2, cronWorkflows: 1, workflows: 20, archivedShare: 1 });
    const { runs, taskRuns } = await collectChanges(provider.changes(null));
    const gets = stub.requests.filter(
      (r) => r.method === 'GET' && (r.path.startsWith(`/api/v1/workflows/${stub.namespace}/`) || r.path.startsWith('/api/v1/archived-workflows/')),
    );
    expect(gets.length).toBeGreaterThan(0);
    // Only what the task runs need: no spec, no stored templates.
    for (const get of gets.filter((r) => r.path.startsWith('/api/v1/workflows/'))) {
      expect(String(get.query.fields).split(',').sort()).toEqual(['metadata.labels', 'metadata.name', 'metadata.uid', 'status.nodes', 'status.phase']);
    }
    for (const run of runs.filter((r) => r.status === 'success')) {
      expect(taskRuns.some((t) => t.runExternalId === run.externalId && t.pipelineExternalId === run.pipelineExternalId)).toBe(true);
    }
  });

  it('syncs incrementally: a run that finishes between two syncs is updated, with its task runs', async () => {
    await setup({ seed: 6, templates: 2, cronWorkflows: 2, workflows: 15, stepMs: 150 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    const first = await collectChanges(provider.changes(null));
    const triggered = await provider.trigger(pipeline.externalId, request('signalbox__incr_1'));
    const middle = await collectChanges(provider.changes(first.cursor));
    expect(middle.runs.find((r) => r.externalId === 'signalbox__incr_1')?.status).toMatch(/queued|running/);
    await until('the run to finish', async () => ['success', 'failed'].includes((await provider.getRun(pipeline.externalId, triggered.externalId)).status));
    const last = await collectChanges(provider.changes(middle.cursor));
    const run = last.runs.find((r) => r.externalId === 'signalbox__incr_1');
    expect(['success', 'failed']).toContain(run?.status);
    const tasks = last.taskRuns.filter((t) => t.runExternalId === 'signalbox__incr_1');
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) expect(['running', 'queued', 'pending']).not.toContain(t.status);
    // Finished workflows of the first listing are not listed again.
    expect(last.runs.length).toBeLessThan(first.runs.length);
    const finishedBefore = first.runs.filter((r) => ['success', 'failed'].includes(r.status)).map(key);
    expect(last.runs.map(key).filter((k) => finishedBefore.includes(k))).toEqual([]);
  });

  it('reads again with GET a workflow unfinished at the last sync that finished since (older than the overlap)', async () => {
    await setup({ seed: 14, templates: 1, cronWorkflows: 1, workflows: 5, stepMs: 3_000 }, { overlapMs: 0 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    await provider.trigger(pipeline.externalId, request('signalbox__open'));
    // Creation times are whole seconds in createdAfter: let the listing's time pass the creation's second.
    await new Promise((r) => setTimeout(r, 1_100));
    const first = await collectChanges(provider.changes(null));
    expect(first.runs.find((r) => r.externalId === 'signalbox__open')?.status).toMatch(/queued|running/);
    await until(
      'the run to finish',
      async () => ['success', 'failed'].includes((await provider.getRun(pipeline.externalId, 'signalbox__open')).status),
      60_000,
    );
    const before = stub.requests.length;
    const next = await collectChanges(provider.changes(first.cursor));
    expect(['success', 'failed']).toContain(next.runs.find((r) => r.externalId === 'signalbox__open')?.status);
    const tasks = next.taskRuns.filter((t) => t.runExternalId === 'signalbox__open');
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) expect(['running', 'queued', 'pending']).not.toContain(t.status);
    const gets = stub.requests
      .slice(before)
      .filter((r) => r.method === 'GET' && r.path === `/api/v1/workflows/${stub.namespace}/${workflowNameOf('signalbox__open')}`);
    expect(gets).toHaveLength(2);
  });

  it('reads from the archive a workflow whose live object was deleted', async () => {
    await setup({ seed: 15, templates: 2, cronWorkflows: 1, workflows: 12, archivedShare: 1 });
    const first = await collectChanges(provider.changes(null));
    const done = first.runs.filter((r) => r.status === 'success');
    expect(done.length).toBeGreaterThan(0);
    for (const r of done) await provider.client.deleteWorkflow(r.externalId);
    // Argo without the archive fallback on GET (or an older server) answers 404: the adapter then asks the archive by uid.
    stub.faults.add({ kind: 'status', status: 404, method: 'GET', path: new RegExp(`^/api/v1/workflows/${stub.namespace}/[^/]+$`) });
    const after = await collectChanges(provider.changes(null));
    for (const r of done) {
      expect(after.runs.find((x) => x.externalId === r.externalId)?.status).toBe('success');
      expect(after.taskRuns.filter((t) => t.runExternalId === r.externalId).length).toBe(first.taskRuns.filter((t) => t.runExternalId === r.externalId).length);
    }
    expect(
      stub.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/archived-workflows/') && r.status === 200).length,
    ).toBeGreaterThanOrEqual(done.length);
  });

  it('takes a workflow created and finished between two syncs', async () => {
    await setup({ seed: 8, templates: 1, cronWorkflows: 1, workflows: 5, stepMs: 50 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    const first = await collectChanges(provider.changes(null));
    await provider.trigger(pipeline.externalId, request('signalbox__between'));
    await until('the run to finish', async () => ['success', 'failed'].includes((await provider.getRun(pipeline.externalId, 'signalbox__between')).status));
    const next = await collectChanges(provider.changes(first.cursor));
    expect(['success', 'failed']).toContain(next.runs.find((r) => r.externalId === 'signalbox__between')?.status);
    expect(next.taskRuns.some((t) => t.runExternalId === 'signalbox__between')).toBe(true);
  });

  it('triggers idempotently: the same run id twice is RUN_EXISTS and one workflow; conf goes as parameters', async () => {
    await setup({ seed: 9, templates: 2, cronWorkflows: 1, workflows: 0 });
    const pipelines = (await collect(provider.pipelines())).items;
    const template = pipelines.find((p) => p.externalId.startsWith('workflowtemplate/'))!;
    const run = await provider.trigger(template.externalId, request('signalbox__0123abcd', { day: '2026-03-01', n: 3 }));
    expect(run).toMatchObject({ externalId: 'signalbox__0123abcd', pipelineExternalId: template.externalId, runType: 'manual' });
    expect(await failure(provider.trigger(template.externalId, request('signalbox__0123abcd')))).toMatchObject({
      kind: 'conflict',
      code: 'RUN_EXISTS',
      status: 409,
    });
    const same = await provider.client.listWorkflows({ labelSelector: `${TRIGGERED_RUN_LABEL}=signalbox__0123abcd`, limit: 10 });
    expect(same.items.map((w) => w.metadata.name)).toEqual([workflowNameOf('signalbox__0123abcd')]);
    const submits = stub.requests.filter((r) => r.path.endsWith('/submit'));
    expect(submits[0].body).toMatchObject({
      resourceKind: 'WorkflowTemplate',
      submitOptions: { name: workflowNameOf('signalbox__0123abcd'), parameters: ['day=2026-03-01', 'n=3'] },
    });
    expect((await provider.getRun(template.externalId, 'signalbox__0123abcd')).externalId).toBe('signalbox__0123abcd');
    expect(await failure(provider.getRun(pipelines.find((p) => p !== template)!.externalId, 'signalbox__0123abcd'))).toMatchObject({
      kind: 'not_found',
      code: 'RUN_NOT_FOUND',
    });
    expect(await failure(provider.trigger('workflowtemplate/nope', request('signalbox__x')))).toMatchObject({
      kind: 'not_found',
      code: 'PIPELINE_NOT_FOUND',
      status: 404,
    });
  });

  it('finds a run after a lost submit answer: RUN_EXISTS, then getRun', async () => {
    await setup({ seed: 9, templates: 1, cronWorkflows: 1, workflows: 0 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    stub.faults.add({ kind: 'lose_response', method: 'POST', path: '/submit', times: 1 });
    expect(await failure(provider.trigger(pipeline.externalId, request('signalbox__lost')))).toMatchObject({
      kind: 'unavailable',
      code: 'PROVIDER_UNREACHABLE',
    });
    expect(await failure(provider.trigger(pipeline.externalId, request('signalbox__lost')))).toMatchObject({ code: 'RUN_EXISTS' });
    expect((await provider.getRun(pipeline.externalId, 'signalbox__lost')).externalId).toBe('signalbox__lost');
  });

  it('cancels with stop: the run is failed and the stop carried our message', async () => {
    await setup({ seed: 10, templates: 1, cronWorkflows: 1, workflows: 0, stepMs: 2_000 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    await provider.trigger(pipeline.externalId, request('signalbox__cancel'));
    const run = await provider.cancelRun(pipeline.externalId, 'signalbox__cancel');
    expect(run.status).toBe('failed');
    const stop = stub.requests.find((r) => r.method === 'PUT' && r.path.endsWith('/stop'));
    expect(stop?.body).toMatchObject({ name: workflowNameOf('signalbox__cancel'), namespace: stub.namespace, message: 'Stopped by Signalbox' });
    // Cancelling a finished run leaves it as it is.
    expect((await provider.cancelRun(pipeline.externalId, 'signalbox__cancel')).status).toBe('failed');
    expect(stub.requests.filter((r) => r.path.endsWith('/stop'))).toHaveLength(1);
  });

  it('retries a failed run in place, and leaves a successful one alone', async () => {
    await setup({ seed: 12, templates: 1, cronWorkflows: 1, workflows: 0, stepMs: 50 });
    const [pipeline] = (await collect(provider.pipelines())).items;
    stub.taskOutcome = () => 'Failed';
    await provider.trigger(pipeline.externalId, request('signalbox__retry'));
    await until('the run to fail', async () => (await provider.getRun(pipeline.externalId, 'signalbox__retry')).status === 'failed');
    stub.taskOutcome = () => 'Succeeded';
    const again = await provider.retryRun(pipeline.externalId, 'signalbox__retry');
    expect(['queued', 'running']).toContain(again.status);
    await until('the retried run to succeed', async () => (await provider.getRun(pipeline.externalId, 'signalbox__retry')).status === 'success');
    const retries = stub.requests.filter((r) => r.path.endsWith('/retry')).length;
    expect((await provider.retryRun(pipeline.externalId, 'signalbox__retry')).status).toBe('success');
    expect(stub.requests.filter((r) => r.path.endsWith('/retry'))).toHaveLength(retries);
  });

  it('pauses a cron workflow with suspend and resume; a template cannot be paused', async () => {
    await setup({ seed: 13, templates: 1, cronWorkflows: 1, workflows: 0 });
    const items = (await collect(provider.pipelines())).items;
    const cron = items.find((p) => p.externalId.startsWith('cronworkflow/'))!;
    const template = items.find((p) => p.externalId.startsWith('workflowtemplate/'))!;
    await provider.setPaused(cron.externalId, true);
    await provider.setPaused(cron.externalId, true);
    expect((await collect(provider.pipelines())).items.find((p) => p.externalId === cron.externalId)?.paused).toBe(true);
    await provider.setPaused(cron.externalId, false);
    expect((await collect(provider.pipelines())).items.find((p) => p.externalId === cron.externalId)?.paused).toBe(false);
    expect(stub.requests.filter((r) => r.method === 'PUT').map((r) => r.path.split('/').pop())).toEqual(['suspend', 'suspend', 'resume']);
    expect(await failure(provider.setPaused(template.externalId, true))).toMatchObject({ kind: 'conflict', code: 'PIPELINE_NOT_PAUSABLE' });
    expect(await failure(provider.setPaused('workflowtemplate/nope', true))).toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
    expect(await failure(provider.setPaused('cronworkflow/nope', true))).toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
  });
});

/** Another provider over the same stub (other options). */
const argoSetupOn = async (on: ArgoStub, options: Parameters<typeof argoSetup>[1]): Promise<ArgoProvider> =>
  argoProviderFactory({ retries: 0, ...options }).create(argoConnector(on));
