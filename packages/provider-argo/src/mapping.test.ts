import { cronPipeline, isSynced, parsePipelineId, pipelineOfWorkflow, runOf, runStatusOf, TRIGGERED_RUN_LABEL, taskRunsOf, templatePipeline } from './mapping';
import type { NodeStatus, Workflow } from './types';

const at = new Date('2026-03-01T12:00:00Z');

const node = (id: string, n: Partial<NodeStatus> & { type: string }): NodeStatus => ({ id, name: `wf-1.${id}`, displayName: id, ...n });

describe('pipelines', () => {
  it('maps a cron workflow: schedules[0] (or 3.x schedule), suspend as paused, description and tags', () => {
    const p = cronPipeline({
      metadata: {
        name: 'nightly',
        labels: { team: 'data', 'workflows.argoproj.io/creator': 'x' },
        annotations: { 'workflows.argoproj.io/description': ' Loads the night ' },
      },
      spec: { schedules: ['0 2 * * *', '0 3 * * *'], suspend: true },
    });
    expect(p).toEqual({
      externalId: 'cronworkflow/nightly',
      name: 'nightly',
      description: 'Loads the night',
      owner: null,
      tags: ['team=data'],
      schedule: '0 2 * * *',
      paused: true,
      nextRunAt: null,
    });
    expect(cronPipeline({ metadata: { name: 'old' }, spec: { schedule: '*/5 * * * *' } })).toMatchObject({ schedule: '*/5 * * * *', paused: false });
  });

  it('maps a workflow template: never paused, no schedule', () => {
    expect(templatePipeline({ metadata: { name: 'etl' } })).toMatchObject({ externalId: 'workflowtemplate/etl', schedule: null, paused: false, tags: [] });
  });

  it('parses external ids of both kinds and nothing else', () => {
    expect(parsePipelineId('cronworkflow/a')).toEqual({ kind: 'CronWorkflow', name: 'a' });
    expect(parsePipelineId('workflowtemplate/b')).toEqual({ kind: 'WorkflowTemplate', name: 'b' });
    expect(parsePipelineId('workflowtemplate/')).toBeUndefined();
    expect(parsePipelineId('etl')).toBeUndefined();
  });
});

describe('runs', () => {
  const wf = (labels: Record<string, string>, status: Workflow['status'] = {}): Workflow => ({
    metadata: { name: 'wf-1', uid: 'u1', labels, creationTimestamp: '2026-03-01T10:00:00Z' },
    status,
  });

  it('takes the pipeline from the cron label first, then the template label; skips managed runs and unlabelled workflows', () => {
    expect(pipelineOfWorkflow(wf({ 'workflows.argoproj.io/cron-workflow': 'c', 'workflows.argoproj.io/workflow-template': 't' }))).toBe('cronworkflow/c');
    expect(pipelineOfWorkflow(wf({ 'workflows.argoproj.io/workflow-template': 't' }))).toBe('workflowtemplate/t');
    expect(isSynced(wf({}))).toBe(false);
    expect(isSynced(wf({ 'workflows.argoproj.io/workflow-template': 't', 'signalbox.io/run-id': 'r' }))).toBe(false);
    expect(isSynced(wf({ 'workflows.argoproj.io/workflow-template': 't' }))).toBe(true);
  });

  it.each([
    [undefined, 'queued'],
    ['', 'queued'],
    ['Pending', 'queued'],
    ['Running', 'running'],
    ['Succeeded', 'success'],
    ['Failed', 'failed'],
    ['Error', 'failed'],
  ])('phase %p is %s', (phase, status) => {
    expect(runStatusOf(phase)).toBe(status);
  });

  it('maps times, duration, type, conf and the run id of a triggered run', () => {
    const r = runOf(
      {
        ...wf({ 'workflows.argoproj.io/cron-workflow': 'c' }, { phase: 'Succeeded', startedAt: '2026-03-01T10:00:05Z', finishedAt: '2026-03-01T10:01:05Z' }),
        spec: { arguments: { parameters: [{ name: 'day', value: '2026-03-01' }] } },
      },
      'cronworkflow/c',
      at,
    );
    expect(r).toMatchObject({
      externalId: 'wf-1',
      status: 'success',
      nativeStatus: 'Succeeded',
      runType: 'scheduled',
      durationSeconds: 60,
      conf: { day: '2026-03-01' },
      queuedAt: new Date('2026-03-01T10:00:00Z'),
      updatedAt: at,
    });
    const triggered = runOf(wf({ 'workflows.argoproj.io/cron-workflow': 'c', [TRIGGERED_RUN_LABEL]: 'signalbox__abc' }), 'cronworkflow/c', at);
    expect(triggered).toMatchObject({ externalId: 'signalbox__abc', runType: 'manual', status: 'queued', conf: null, startedAt: null });
  });
});

describe('task runs', () => {
  it('takes Pod, Retry and Skipped nodes; attempts under a Retry count as its tries', () => {
    const nodes: Record<string, NodeStatus> = {
      root: node('root', { type: 'Steps', phase: 'Running', children: ['g0'] }),
      g0: node('g0', { type: 'StepGroup', phase: 'Running', children: ['extract', 'load'] }),
      extract: node('extract', { type: 'Pod', phase: 'Succeeded', templateName: 'sql', startedAt: '2026-03-01T10:00:00Z', finishedAt: '2026-03-01T10:00:30Z' }),
      load: node('load', { type: 'Retry', phase: 'Running', children: ['load0', 'load1'], startedAt: '2026-03-01T10:00:31Z' }),
      load0: node('load0', { type: 'Pod', phase: 'Failed', displayName: 'load(0)' }),
      load1: node('load1', { type: 'Pod', phase: 'Running', displayName: 'load(1)' }),
      skip: node('skip', { type: 'Skipped', phase: 'Skipped', startedAt: '2026-03-01T10:00:32Z' }),
      omit: node('omit', { type: 'Pod', phase: 'Omitted', startedAt: '2026-03-01T10:00:33Z' }),
    };
    const tasks = taskRunsOf({ metadata: { name: 'wf-1', labels: {} }, status: { nodes } }, 'workflowtemplate/t', at);
    expect(tasks.map((t) => [t.taskId, t.status, t.tryNumber, t.operator])).toEqual([
      ['extract', 'success', 1, 'sql'],
      ['load', 'running', 2, 'Retry'],
      ['skip', 'skipped', 1, 'Skipped'],
      ['omit', 'skipped', 1, 'Pod'],
    ]);
    expect(tasks[0]).toMatchObject({ runExternalId: 'wf-1', mapIndex: -1, durationSeconds: 30, nativeStatus: 'Succeeded' });
  });

  it('says retrying for a Retry node between attempts, and gives a repeated display name its full node name', () => {
    const nodes: Record<string, NodeStatus> = {
      a: node('a', { type: 'Retry', phase: 'Running', displayName: 'step', children: ['a0'], startedAt: '2026-03-01T10:00:00Z' }),
      a0: node('a0', { type: 'Pod', phase: 'Error', displayName: 'step(0)' }),
      b: { id: 'b', name: 'wf-1[1].step', displayName: 'step', type: 'Pod', phase: 'Pending', startedAt: '2026-03-01T10:00:01Z' },
    };
    const tasks = taskRunsOf({ metadata: { name: 'wf-1' }, status: { nodes } }, 'p', at);
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      ['step', 'retrying'],
      ['[1].step', 'running'],
    ]);
  });

  it('has none without nodes', () => {
    expect(taskRunsOf({ metadata: { name: 'wf-1' }, status: { phase: 'Succeeded' } }, 'p', at)).toEqual([]);
  });
});
