import { applyFields, parseFields, renderWorkflow } from './render';
import { parseFieldSelector, parseLabelSelector } from './server';
import { ArgoError, ArgoStore, LABEL_CRON, LABEL_TEMPLATE } from './store';

const NOW = Date.parse('2026-11-01T12:00:00Z');

/** A store whose clock the test moves by hand; the controller only runs on `tick`. */
function manual(options: ConstructorParameters<typeof ArgoStore>[0] = {}) {
  let now = NOW;
  const store = new ArgoStore({ workflows: 0, templates: 0, cronWorkflows: 0, stepMs: 100, ...options, clock: () => now });
  return {
    store,
    step(ms: number) {
      now += ms;
      store.tick(now);
    },
  };
}

const chain = (name: string) => ({
  metadata: { name },
  spec: {
    entrypoint: 'main',
    templates: [
      {
        name: 'main',
        dag: {
          tasks: [
            { name: 'a', template: 'w' },
            { name: 'b', template: 'w', dependencies: ['a'] },
            { name: 'c', template: 'w', dependencies: ['b'] },
          ],
        },
      },
      { name: 'w', container: { image: 'x' } },
    ],
  },
});

describe('the generated data', () => {
  it('is the same for a seed and differs for another', () => {
    const opts = { seed: 9, templates: 6, cronWorkflows: 3, workflows: 300, nodesPerWorkflow: 4, archivedShare: 0.2, clock: () => NOW };
    const a = new ArgoStore(opts);
    const b = new ArgoStore(opts);
    const c = new ArgoStore({ ...opts, seed: 10 });
    const view = (s: ArgoStore) => s.workflows.map((w) => [w.name, w.uid, w.phase, w.finishedAt, w.archived]);
    expect(view(a)).toEqual(view(b));
    expect(view(c)).not.toEqual(view(a));
    expect(a.workflows).toHaveLength(300);
    expect(a.templates.size).toBe(6);
    expect(a.crons.size).toBe(3);
  });

  it('spreads finished workflows over 60 days, from templates and crons, some running, some archived', () => {
    const s = new ArgoStore({ seed: 2, templates: 5, cronWorkflows: 2, workflows: 1000, nodesPerWorkflow: 6, archivedShare: 0.3, clock: () => NOW });
    const phases = new Set(s.workflows.map((w) => w.phase));
    expect([...phases].sort()).toEqual(['Error', 'Failed', 'Running', 'Succeeded']);
    expect(Math.min(...s.workflows.map((w) => w.created))).toBeGreaterThanOrEqual(NOW - 60 * 86_400_000);
    expect(s.workflows.every((w, i) => i === 0 || s.workflows[i - 1].created <= w.created)).toBe(true);
    expect(s.workflows.some((w) => w.labels[LABEL_CRON])).toBe(true);
    expect(s.workflows.some((w) => w.labels[LABEL_TEMPLATE])).toBe(true);
    const archived = s.workflows.filter((w) => w.archived).length;
    expect(archived).toBeGreaterThan(200);
    expect(archived).toBeLessThan(400);
    expect(s.workflows.filter((w) => w.archived).every((w) => w.phase !== 'Running')).toBe(true);
    for (const w of s.workflows.slice(0, 200)) {
      const pods = s.nodes(w).filter((n) => n.type === 'Pod');
      expect(pods.length).toBeGreaterThanOrEqual(1);
      expect(pods.length).toBeLessThanOrEqual(6);
      if (w.phase === 'Succeeded') expect(pods.every((n) => n.phase === 'Succeeded')).toBe(true);
      if (w.phase === 'Failed') expect(pods.at(-1)!.phase).toBe('Failed');
    }
    expect([...s.crons.values()].some((c) => c.spec.suspend)).toBe(true);
  });
});

describe('the controller', () => {
  it('grows progress as nodes appear: 0/1, 1/2, 2/3, 3/3', () => {
    const { store, step } = manual();
    const wf = store.createWorkflow('ns', chain('wf'));
    const seen: string[] = [];
    const rvs: number[] = [wf.rv];
    for (let i = 0; i < 40 && wf.phase !== 'Succeeded'; i++) {
      step(20);
      const p = renderWorkflow(store, wf, { nodes: false }).status as { progress?: string };
      if (p.progress && seen.at(-1) !== p.progress) seen.push(p.progress);
      rvs.push(wf.rv);
    }
    expect(seen).toEqual(['0/1', '1/2', '2/3', '3/3']);
    expect(wf.phase).toBe('Succeeded');
    expect(rvs.every((v, i) => i === 0 || v >= rvs[i - 1])).toBe(true);
    expect(new Set(rvs).size).toBeGreaterThan(4);
  });

  it('fails fast: a running sibling finishes, nothing new starts, the workflow ends Failed', () => {
    const { store, step } = manual();
    store.taskOutcome = (_wf, task) => (task === 'left' ? 'Failed' : 'Succeeded');
    const wf = store.createWorkflow('ns', {
      metadata: { name: 'ff' },
      spec: {
        entrypoint: 'main',
        templates: [
          {
            name: 'main',
            dag: {
              tasks: [
                { name: 'left', template: 'w' },
                { name: 'right', template: 'w' },
                { name: 'after', template: 'w', depends: 'left && right' },
              ],
            },
          },
          { name: 'w', script: { image: 'x', source: 'echo' } },
        ],
      },
    });
    for (let i = 0; i < 20; i++) step(20);
    expect(wf.phase).toBe('Failed');
    const pods = store.nodes(wf).filter((n) => n.type === 'Pod');
    expect(pods.map((n) => [n.displayName, n.phase]).sort()).toEqual([
      ['left', 'Failed'],
      ['right', 'Succeeded'],
    ]);
    expect(wf.message).toBe(`child '${pods.find((n) => n.displayName === 'left')!.id}' failed`);
  });

  it('runs a single-container entrypoint as one Pod node named after the workflow', () => {
    const { store, step } = manual();
    const wf = store.createWorkflow('ns', {
      metadata: { generateName: 'solo-' },
      spec: { entrypoint: 'w', templates: [{ name: 'w', container: { image: 'x' } }] },
    });
    expect(wf.name).toMatch(/^solo-[a-z0-9]{5}$/);
    for (let i = 0; i < 12; i++) step(20);
    expect(store.nodes(wf)).toEqual([expect.objectContaining({ id: wf.name, name: wf.name, type: 'Pod', phase: 'Succeeded' })]);
  });

  it('retries a generated failed workflow in place and finishes it', () => {
    const s = new ArgoStore({ seed: 4, templates: 3, workflows: 200, nodesPerWorkflow: 4, cronWorkflows: 0, stepMs: 10 });
    const wf = s.workflows.find((w) => w.phase === 'Failed' && s.nodes(w).length > 1)!;
    const before = s.nodes(wf).filter((n) => n.type === 'Pod');
    s.retry(wf.namespace, wf.name, {});
    expect(wf.phase).toBe('Running');
    const deadline = Date.now() + 5_000;
    while (wf.phase === 'Running' && Date.now() < deadline) s.tick(Date.now() + 1_000_000);
    expect(wf.phase).toBe('Succeeded');
    const after = s.nodes(wf).filter((n) => n.type === 'Pod');
    expect(after.length).toBe(wf.gen ? 0 : (s.resolvedSpec(wf).templates as any[])[0].dag.tasks.length);
    expect(after.filter((n) => before.some((b) => b.id === n.id && b.phase === 'Succeeded')).length).toBe(before.length - 1);
  });

  it('archives finished workflows when asked, and a retry takes the label off', () => {
    const { store, step } = manual({ archiveFinished: true });
    store.taskOutcome = (_wf, task) => (task === 'b' ? 'Failed' : 'Succeeded');
    const wf = store.createWorkflow('ns', chain('arch'));
    for (let i = 0; i < 30 && wf.phase !== 'Failed'; i++) step(20);
    expect(wf.phase).toBe('Failed');
    expect(store.labels(wf)['workflows.argoproj.io/workflow-archiving-status']).toBe('Archived');
    store.taskOutcome = () => 'Succeeded';
    store.retry('ns', 'arch', {});
    expect(wf.archived).toBe(false);
    for (let i = 0; i < 30 && wf.phase !== 'Succeeded'; i++) step(20);
    expect(wf.phase).toBe('Succeeded');
    expect(wf.archived).toBe(true);
    store.deleteWorkflow('ns', 'arch');
    expect(store.get('ns', 'arch')?.uid).toBe(wf.uid);
  });

  it('retries a succeeded workflow from a selected node with restartSuccessful', () => {
    const { store, step } = manual();
    const wf = store.createWorkflow('ns', chain('sel'));
    for (let i = 0; i < 30 && wf.phase !== 'Succeeded'; i++) step(20);
    const before = store.nodes(wf).filter((n) => n.type === 'Pod');
    expect(() => store.retry('ns', 'sel', {})).toThrow(/Failed\/Error/);
    store.retry('ns', 'sel', { restartSuccessful: true, nodeFieldSelector: 'displayName=b' });
    expect(
      store
        .nodes(wf)
        .filter((n) => n.type === 'Pod')
        .map((n) => n.displayName),
    ).toEqual(['a']);
    expect(store.nodes(wf).find((n) => n.type === 'DAG')?.phase).toBe('Running');
    for (let i = 0; i < 30 && wf.phase !== 'Succeeded'; i++) step(20);
    const after = store.nodes(wf).filter((n) => n.type === 'Pod');
    expect(after.map((n) => n.displayName)).toEqual(['a', 'b', 'c']);
    expect(after[0]).toEqual(before[0]);
    expect(after[1].startedAt).toBeGreaterThan(before[2].finishedAt!);
  });

  it('settles a workflow at once on a simulated clock', () => {
    const { store } = manual({ stepMs: 1000 });
    store.taskOutcome = (_wf, task) => (task === 'c' ? 'Failed' : 'Succeeded');
    const wf = store.createWorkflow('ns', chain('fast'));
    store.settle('ns', 'fast');
    expect(wf.phase).toBe('Failed');
    expect(wf.finishedAt! - wf.startedAt!).toBeGreaterThanOrEqual(3000);
    expect(
      store
        .nodes(wf)
        .filter((n) => n.type === 'Pod')
        .map((n) => n.phase),
    ).toEqual(['Succeeded', 'Succeeded', 'Failed']);
  });

  it('refuses invalid specs with code 3 and names clashes with code 6', () => {
    const { store } = manual();
    const bad = (spec: unknown) => {
      try {
        store.createWorkflow('ns', { metadata: { name: 'x' }, spec } as any);
      } catch (e) {
        return e instanceof ArgoError ? `${e.code} ${e.message}` : String(e);
      }
      return 'accepted';
    };
    const c = chain('x').spec;
    expect(bad({ ...c, entrypoint: undefined })).toBe('3 spec.entrypoint is required');
    expect(bad({ ...c, templates: [{ ...c.templates[0], name: 'main_1' }, c.templates[1]] })).toMatch(/^3 templates\.main_1 name must match/);
    expect(bad({ ...c, templates: [c.templates[0], { name: 'w', container: { image: '{{inputs.parameters.nope}}' } }] })).toBe(
      '3 templates.w: failed to resolve {{inputs.parameters.nope}}',
    );
    expect(bad({ ...c, templates: [c.templates[0], { name: 'w', container: { image: '{{tasks.a.outputs.result}} {{workflow.name}}' } }] })).toBe('accepted');
    expect(bad(c)).toBe('6 workflows.argoproj.io "x" already exists');
  });
});

describe('selectors and fields', () => {
  const labels: Record<string, string> = { app: 'etl', tier: 'gold', 'workflows.argoproj.io/phase': 'Running' };
  const get = (k: string) => labels[k];

  it('parses label selectors', () => {
    expect(parseLabelSelector('app=etl,tier!=silver')(get)).toBe(true);
    expect(parseLabelSelector('app==etl,!missing,tier')(get)).toBe(true);
    expect(parseLabelSelector('workflows.argoproj.io/phase in (Pending,Running)')(get)).toBe(true);
    expect(parseLabelSelector('workflows.argoproj.io/phase notin (Pending, Running)')(get)).toBe(false);
    expect(parseLabelSelector('missing notin (a)')(get)).toBe(true);
    expect(parseLabelSelector('!app')(get)).toBe(false);
    expect(() => parseLabelSelector('app in etl')).toThrow(ArgoError);
    expect(() => parseLabelSelector('a b')).toThrow(/unable to parse/);
  });

  it('accepts only the field selectors Argo does', () => {
    expect(parseFieldSelector('metadata.name=x,ext.showRemainingItemCount=true')).toMatchObject({ name: 'x', showRemainingItemCount: true });
    expect(parseFieldSelector('spec.startedAt>2026-01-01T00:00:00Z').startedAfter).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseFieldSelector('status.phase=Running')).toThrow(/unsupported/);
  });

  it('keeps or drops dotted paths, through arrays', () => {
    const doc = { metadata: { a: 1, b: 2 }, items: [{ metadata: { name: 'n', uid: 'u' }, status: { phase: 'P', nodes: { x: {} } } }] };
    expect(applyFields(doc, parseFields('metadata.a,items.metadata.name,items.status.phase'))).toEqual({
      metadata: { a: 1 },
      items: [{ metadata: { name: 'n' }, status: { phase: 'P' } }],
    });
    expect(applyFields(doc, parseFields('-items.status.nodes,-metadata.b'))).toEqual({
      metadata: { a: 1 },
      items: [{ metadata: { name: 'n', uid: 'u' }, status: { phase: 'P' } }],
    });
  });
});
