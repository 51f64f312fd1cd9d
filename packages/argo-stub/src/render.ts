/** The stub's objects as Argo Server renders them (JSON shapes of the swagger), and `fields` trimming. */
import { type ArgoStore, isFinished, type StubCron, type StubNode, type StubTemplate, type StubWorkflow } from './store';

type Json = Record<string, unknown>;

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** RFC 3339 in seconds, as Kubernetes renders `metav1.Time` (assembled by hand: toISOString and a replace cost 3x as much). */
export function iso(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1000 || y > 9999) return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return `${y}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}Z`;
}

function progressOf(store: ArgoStore, wf: StubWorkflow): string | undefined {
  if (wf.phase === '') return undefined;
  if (wf.gen) {
    const done = wf.phase === 'Succeeded' ? wf.gen.pods : wf.gen.pods - 1;
    return `${done}/${wf.gen.pods}`;
  }
  const pods = store.nodes(wf).filter((n) => n.type === 'Pod');
  return `${pods.filter((n) => n.phase === 'Succeeded').length}/${pods.length}`;
}

function renderNodes(nodes: StubNode[]): Record<string, Json> {
  const pods = nodes.filter((n) => n.type === 'Pod');
  const out: Record<string, Json> = {};
  for (const n of nodes) {
    const mine = n.type === 'Pod' ? [n] : n.type === 'StepGroup' ? pods.filter((p) => p.group === n.group) : pods;
    const node: Json = {
      id: n.id,
      name: n.name,
      displayName: n.displayName,
      type: n.type,
      phase: n.phase,
      startedAt: iso(n.startedAt),
      progress: `${mine.filter((p) => p.phase === 'Succeeded').length}/${mine.length}`,
    };
    if (n.templateName) node.templateName = n.templateName;
    if (n.finishedAt !== null) node.finishedAt = iso(n.finishedAt);
    if (n.message) node.message = n.message;
    if (n.children.length > 0) node.children = [...n.children];
    if (n.type === 'Pod' && isFinished(n.phase)) {
      node.outputs = {
        exitCode: n.phase === 'Succeeded' ? '0' : '1',
        ...(n.outputs ? { parameters: Object.entries(n.outputs).map(([name, value]) => ({ name, value })) } : {}),
      };
    }
    out[n.id] = node;
  }
  return out;
}

export interface RenderOptions {
  /** Include `status.nodes` (costly: skipped when `fields` drops them). */
  nodes: boolean;
  /** As the archive serves list items: metadata, spec.suspend and arguments, a few status fields. */
  summary?: boolean;
}

export function renderWorkflow(store: ArgoStore, wf: StubWorkflow, options: RenderOptions): Json {
  const metadata: Json = {
    name: wf.name,
    namespace: wf.namespace,
    uid: wf.uid,
    resourceVersion: String(wf.rv),
    generation: 1,
    creationTimestamp: iso(wf.created),
    labels: store.labels(wf),
  };
  if (wf.generateName) metadata.generateName = wf.generateName;
  if (wf.annotations) metadata.annotations = { ...wf.annotations };
  const status: Json = {};
  if (wf.phase !== '') status.phase = wf.phase;
  if (wf.startedAt !== null) status.startedAt = iso(wf.startedAt);
  if (wf.finishedAt !== null) status.finishedAt = iso(wf.finishedAt);
  const progress = progressOf(store, wf);
  if (progress) status.progress = progress;
  if (wf.message) status.message = wf.message;
  if (options.summary) {
    const spec: Json = {};
    if (wf.spec.arguments) spec.arguments = wf.spec.arguments;
    if (wf.spec.suspend !== undefined) spec.suspend = wf.spec.suspend;
    return { metadata, spec, status };
  }
  if (options.nodes && wf.phase !== '') status.nodes = renderNodes(store.nodes(wf));
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata, spec: wf.spec, status };
}

const objectMeta = (o: { name: string; namespace: string; uid: string; rv: number; created: number; labels: Record<string, string> }): Json => {
  const m: Json = {
    name: o.name,
    namespace: o.namespace,
    uid: o.uid,
    resourceVersion: String(o.rv),
    generation: 1,
    creationTimestamp: iso(o.created),
  };
  if (Object.keys(o.labels).length > 0) m.labels = { ...o.labels };
  return m;
};

export const renderTemplate = (t: StubTemplate): Json => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: objectMeta(t),
  spec: t.spec,
});

export function renderCron(c: StubCron): Json {
  const status: Json = { active: [], conditions: [], succeeded: 0, failed: 0, phase: 'Active' };
  if (c.lastScheduled !== null) status.lastScheduledTime = iso(c.lastScheduled);
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: objectMeta(c), spec: c.spec, status };
}

// ---- fields -------------------------------------------------------------------------------------

type Tree = { [key: string]: Tree | true };

export interface Fields {
  exclude: boolean;
  tree: Tree;
  paths: string[];
}

/** `fields`: a comma list of dotted paths to keep, or with a leading `-`, to drop. */
export function parseFields(raw: string | undefined): Fields | undefined {
  if (!raw) return undefined;
  const exclude = raw.startsWith('-');
  const paths = raw
    .split(',')
    .map((p) => p.trim().replace(/^-/, ''))
    .filter(Boolean);
  const tree: Tree = {};
  for (const p of paths) {
    let at = tree;
    const parts = p.split('.');
    parts.forEach((part, i) => {
      if (at[part] === true) return;
      if (i === parts.length - 1) at[part] = true;
      else {
        at[part] ??= {};
        at = at[part] as Tree;
      }
    });
  }
  return { exclude, tree, paths };
}

/** Whether a path (e.g. `items.status.nodes`) survives the fields. */
export function keeps(fields: Fields | undefined, path: string): boolean {
  if (!fields) return true;
  const hit = fields.paths.some((p) => p === path || path.startsWith(`${p}.`) || (!fields.exclude && p.startsWith(`${path}.`)));
  return fields.exclude ? !fields.paths.some((p) => p === path || path.startsWith(`${p}.`)) : hit;
}

function keep(value: unknown, tree: Tree | true): unknown {
  if (tree === true) return value;
  if (Array.isArray(value)) return value.map((v) => keep(v, tree));
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, sub] of Object.entries(tree)) if (k in (value as Json)) out[k] = keep((value as Json)[k], sub);
  return out;
}

function drop(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map((v) => drop(v, tree));
  if (!value || typeof value !== 'object') return value;
  const out: Json = { ...(value as Json) };
  for (const [k, sub] of Object.entries(tree)) {
    if (!(k in out)) continue;
    if (sub === true) delete out[k];
    else out[k] = drop(out[k], sub);
  }
  return out;
}

export function applyFields(value: Json, fields: Fields | undefined): Json {
  if (!fields) return value;
  return (fields.exclude ? drop(value, fields.tree) : keep(value, fields.tree)) as Json;
}
