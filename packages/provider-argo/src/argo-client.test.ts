import { type ArgoStub, exampleCreate, startArgoStub } from '@signalbox/argo-stub';
import { ArgoClient } from './argo-http';
import { failure, until } from './testing';
import type { Workflow } from './types';

// Every ArgoClient method against the stub (the calls the Argo engine makes too): valid requests,
// answers read as the types say.
let stub: ArgoStub;
let client: ArgoClient;

beforeEach(async () => {
  stub = await startArgoStub({ seed: 21, templates: 2, cronWorkflows: 2, workflows: 12, archivedShare: 0.5, stepMs: 100 });
  client = new ArgoClient(stub.url, stub.namespace, stub.token, { retries: 0, timeoutMs: 5_000 });
});

afterEach(async () => {
  try {
    expect(stub.violations).toEqual([]);
  } finally {
    await stub.close();
  }
});

const manifest = (name: string): Workflow => {
  const wf = exampleCreate().workflow as unknown as Workflow;
  return { ...wf, metadata: { name, labels: { 'signalbox.io/run-id': name } } };
};

describe('ArgoClient (stub)', () => {
  it('dry-runs, creates once (a second create is WORKFLOW_EXISTS), follows and deletes a workflow', async () => {
    const dry = await client.createWorkflow(manifest('sbx-one'), { serverDryRun: true });
    expect(dry.metadata.name).toBe('sbx-one');
    expect(await failure(client.getWorkflow('sbx-one'))).toMatchObject({ kind: 'not_found', code: 'WORKFLOW_NOT_FOUND' });
    const created = await client.createWorkflow(manifest('sbx-one'));
    expect(created.metadata.uid).toBeTruthy();
    expect(await failure(client.createWorkflow(manifest('sbx-one')))).toMatchObject({ kind: 'conflict', code: 'WORKFLOW_EXISTS', status: 409 });
    await until('the workflow to succeed', async () => (await client.getWorkflow('sbx-one', '-status.nodes')).status?.phase === 'Succeeded');
    const full = await client.getWorkflow('sbx-one');
    const pods = Object.values(full.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    expect(pods.map((n) => n.displayName).sort()).toEqual(['extract', 'publish', 'transform']);
    const slim = await client.getWorkflow('sbx-one', '-status.nodes');
    expect(slim.status?.nodes).toBeUndefined();
    const mine = await client.listWorkflows({
      labelSelector: 'signalbox.io/run-id=sbx-one',
      limit: 5,
      fields: 'metadata,items.metadata.name,items.status.phase',
    });
    expect(mine).toEqual({ items: [{ metadata: { name: 'sbx-one' }, status: { phase: 'Succeeded' } }], continue: null });
    await client.deleteWorkflow('sbx-one');
    expect(await failure(client.deleteWorkflow('sbx-one'))).toMatchObject({ kind: 'not_found' });
  });

  it('stops and terminates running workflows', async () => {
    await client.createWorkflow(manifest('sbx-stop'));
    await client.createWorkflow(manifest('sbx-term'));
    await client.stopWorkflow('sbx-stop', 'enough');
    await client.terminateWorkflow('sbx-term');
    for (const name of ['sbx-stop', 'sbx-term'])
      await until(`${name} to fail`, async () => (await client.getWorkflow(name, '-status.nodes')).status?.phase === 'Failed');
    expect(stub.requests.find((r) => r.path.endsWith('/sbx-stop/stop'))?.body).toEqual({ name: 'sbx-stop', namespace: stub.namespace, message: 'enough' });
  });

  it('retries a failed workflow from its failed node', async () => {
    stub.taskOutcome = (_wf, task) => (task === 'transform' ? 'Failed' : 'Succeeded');
    await client.createWorkflow(manifest('sbx-retry'));
    await until('the workflow to fail', async () => (await client.getWorkflow('sbx-retry', '-status.nodes')).status?.phase === 'Failed');
    stub.taskOutcome = () => 'Succeeded';
    const again = await client.retryWorkflow('sbx-retry');
    expect(['Running', 'Pending', '']).toContain(again.status?.phase ?? '');
    await until('the retry to succeed', async () => (await client.getWorkflow('sbx-retry', '-status.nodes')).status?.phase === 'Succeeded');
  });

  it('pages templates and cron workflows, submits from each, suspends and resumes a cron workflow', async () => {
    const templates = await client.listWorkflowTemplates({ limit: 1 });
    expect(templates.items).toHaveLength(1);
    expect(templates.continue).not.toBeNull();
    const rest = await client.listWorkflowTemplates({ limit: 1, continue: templates.continue! });
    expect(rest.items[0].metadata.name).not.toBe(templates.items[0].metadata.name);
    const crons = await client.listCronWorkflows({ limit: 10 });
    expect(crons.items).toHaveLength(2);
    const cron = crons.items[0].metadata.name!;
    const fromTemplate = await client.submit('WorkflowTemplate', templates.items[0].metadata.name!, { name: 'sbx-from-t', labels: 'team=data' });
    expect(fromTemplate.metadata.labels).toMatchObject({ 'workflows.argoproj.io/workflow-template': templates.items[0].metadata.name, team: 'data' });
    const fromCron = await client.submit('CronWorkflow', cron, { name: 'sbx-from-c' });
    expect(fromCron.metadata.labels).toMatchObject({ 'workflows.argoproj.io/cron-workflow': cron });
    expect(await failure(client.submit('CronWorkflow', 'nope', {}))).toMatchObject({ kind: 'not_found', code: 'CRON_WORKFLOW_NOT_FOUND' });
    expect((await client.suspendCronWorkflow(cron)).spec?.suspend).toBe(true);
    expect((await client.resumeCronWorkflow(cron)).spec?.suspend).toBeFalsy();
    expect(await client.version()).toEqual({ version: expect.any(String) });
  });

  it('reads an archived workflow by uid, with its nodes', async () => {
    const archived = await client.listWorkflows({ labelSelector: 'workflows.argoproj.io/workflow-archiving-status=Archived', limit: 1 });
    expect(archived.items).toHaveLength(1);
    const { name, uid } = archived.items[0].metadata;
    const wf = await client.getArchivedWorkflow(uid!);
    expect(wf.metadata.name).toBe(name);
    expect(Object.keys(wf.status?.nodes ?? {}).length).toBeGreaterThan(0);
    expect(await failure(client.getArchivedWorkflow('00000000-0000-0000-0000-000000000000'))).toMatchObject({ kind: 'not_found' });
  });
});
