/**
 * The stub's in-memory Argo: workflow templates, cron workflows, workflows (live and archived) and
 * a small controller that runs created workflows through their DAG or steps. Generated workflows
 * are kept compact (a few numbers each) and rendered to JSON on demand, so 100,000 of them fit.
 */
import { randomUUID } from 'node:crypto';
import { prng } from '@signalbox/airflow-stub';

type Json = Record<string, unknown>;

export type WorkflowPhase = '' | 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';
export type TaskOutcome = 'Succeeded' | 'Failed' | 'Error';
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export const LABEL_TEMPLATE = 'workflows.argoproj.io/workflow-template';
export const LABEL_CRON = 'workflows.argoproj.io/cron-workflow';
export const LABEL_PHASE = 'workflows.argoproj.io/phase';
export const LABEL_COMPLETED = 'workflows.argoproj.io/completed';
export const LABEL_ARCHIVING = 'workflows.argoproj.io/workflow-archiving-status';
export const LABEL_RESUBMITTED = 'workflows.argoproj.io/resubmitted-from-workflow';

export interface StubNode {
  id: string;
  name: string;
  displayName: string;
  type: 'Pod' | 'DAG' | 'Steps' | 'StepGroup';
  templateName?: string;
  phase: NodePhase;
  startedAt: number;
  finishedAt: number | null;
  message?: string;
  children: string[];
  /** The plan task this pod runs (absent on parent nodes). */
  task?: string;
  /** The steps group a StepGroup node or a step's pod belongs to. */
  group?: number;
  /** Output parameters of a finished pod (what its container wrote to the files its template names). */
  outputs?: Record<string, string>;
}

/** A compact generated run: its nodes are derived from these numbers when rendered. */
interface GeneratedRun {
  template: StubTemplate;
  /** How many of the template's chained tasks have a node. */
  pods: number;
}

export interface StubWorkflow {
  /** Creation order: the stable order lists page through. */
  seq: number;
  name: string;
  generateName?: string;
  namespace: string;
  uid: string;
  created: number;
  rv: number;
  /** Labels given by the client or the owner; phase, completed and archiving labels are derived. */
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** The spec as created (generated workflows: a reference to their template). */
  spec: Json;
  phase: WorkflowPhase;
  startedAt: number | null;
  finishedAt: number | null;
  message?: string;
  /** Live nodes (absent while a generated workflow has not been touched: see `gen`). */
  nodes?: StubNode[];
  gen?: GeneratedRun;
  /** Labelled `workflow-archiving-status=Archived`: lists serve it from the archive. */
  archived: boolean;
  /** False once deleted: only its archive copy remains. */
  live: boolean;
}

export interface StubTemplate {
  seq: number;
  name: string;
  namespace: string;
  uid: string;
  created: number;
  rv: number;
  labels: Record<string, string>;
  spec: Json;
  /** Generated templates: their chained task names (t0 → t1 → …). */
  chain?: string[];
}

export interface StubCron {
  seq: number;
  name: string;
  namespace: string;
  uid: string;
  created: number;
  rv: number;
  labels: Record<string, string>;
  spec: Json & { suspend?: boolean; schedules?: string[]; workflowSpec: Json };
  lastScheduled: number | null;
}

export interface ArgoStoreOptions {
  /** Default 'signalbox'. */
  namespace?: string;
  /** Generated data is deterministic from the seed (default 1). */
  seed?: number;
  /** Generated workflow templates (default 5), each a small chained DAG. */
  templates?: number;
  /** Generated cron workflows (default 2), every fourth suspended. */
  cronWorkflows?: number;
  /** Generated workflows (default 20) over the last 60 days; the newest 0.5% are Running. */
  workflows?: number;
  /** At most this many Pod nodes per generated workflow (default 4). */
  nodesPerWorkflow?: number;
  /** Share of generated finished workflows labelled archived (lists serve them without nodes). */
  archivedShare?: number;
  /** How long each pod node of a created or submitted workflow runs. Default 150. */
  stepMs?: number;
  /** Label created workflows archived when they finish, as with the workflow archive on. Default false. */
  archiveFinished?: boolean;
  clock?: () => number;
}

interface PlanTask {
  key: string;
  name: string;
  template: string;
  deps: string[];
  group?: number;
}

interface Plan {
  kind: 'dag' | 'steps' | 'pod';
  entry: string;
  tasks: PlanTask[];
}

const DAY = 86_400_000;
const FINAL = new Set<string>(['Succeeded', 'Failed', 'Error']);

/** FNV-1a, 32 bits: node ids are `<workflow>-<hash of the node name>`, stable like Argo's. */
export function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const nodeId = (wf: string, nodeName: string) => `${wf}-${fnv32(nodeName)}`;

export const isFinished = (phase: string) => FINAL.has(phase);

export class ArgoError extends Error {
  constructor(
    /** The gRPC code of the google.rpc.Status body. */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new ArgoError(3, message);
const NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const TAG = /\{\{\s*([^}]*?)\s*\}\}/g;

export class ArgoStore {
  readonly namespace: string;
  /** Every workflow, live or archived, in creation order. */
  readonly workflows: StubWorkflow[] = [];
  readonly templates = new Map<string, StubTemplate>();
  readonly crons = new Map<string, StubCron>();
  stepMs: number;
  /** Label workflows archived when they finish, as a controller with the archive on does. */
  archiveOnFinish: boolean;
  /** Decides each pod node's final phase when it ends. */
  taskOutcome: (workflow: { name: string; labels: Record<string, string> }, task: string) => TaskOutcome = () => 'Succeeded';
  /** The output parameters a succeeded pod reports (what its container would have written); default none. */
  taskOutputs: (workflow: { name: string; labels: Record<string, string> }, task: string) => Record<string, string> | undefined = () => undefined;
  readonly clock: () => number;

  private listeners = new Set<(type: WatchEventType, wf: StubWorkflow) => void>();
  private live = new Map<string, StubWorkflow>();
  private archivedByName = new Map<string, StubWorkflow>();
  private active = new Set<StubWorkflow>();
  private plans = new WeakMap<StubWorkflow, Plan>();
  private seqs = 0;
  private rvs = 1000;
  private rnd: () => number;

  constructor(options: ArgoStoreOptions = {}) {
    this.namespace = options.namespace ?? 'signalbox';
    this.clock = options.clock ?? Date.now;
    this.stepMs = options.stepMs ?? 150;
    this.archiveOnFinish = options.archiveFinished ?? false;
    this.rnd = prng(options.seed ?? 1);
    this.generate(options);
  }

  /** The next resourceVersion (a global counter). */
  bump(): number {
    this.rvs += 1;
    return this.rvs;
  }

  get resourceVersion(): string {
    return String(this.rvs);
  }

  /** Calls `listener` on every change of a workflow after this call; returns the unsubscribe. */
  watch(listener: (type: WatchEventType, wf: StubWorkflow) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: WatchEventType, wf: StubWorkflow): void {
    for (const l of this.listeners) l(type, wf);
  }

  // ---- lookups --------------------------------------------------------------------------------

  /** The live workflow, or its archive copy once deleted, or undefined. */
  get(namespace: string, name: string): StubWorkflow | undefined {
    return this.live.get(`${namespace}/${name}`) ?? this.archivedByName.get(`${namespace}/${name}`);
  }

  getLive(namespace: string, name: string): StubWorkflow | undefined {
    return this.live.get(`${namespace}/${name}`);
  }

  byUid(uid: string): StubWorkflow | undefined {
    return this.workflows.find((w) => w.uid === uid);
  }

  /** A label as lists and selectors see it, derived ones included. */
  label(wf: StubWorkflow, key: string): string | undefined {
    switch (key) {
      case LABEL_PHASE:
        return wf.phase === '' ? undefined : wf.phase;
      case LABEL_COMPLETED:
        return isFinished(wf.phase) ? 'true' : 'false';
      case LABEL_ARCHIVING:
        return wf.archived ? 'Archived' : undefined;
      default:
        return wf.labels[key];
    }
  }

  labels(wf: StubWorkflow): Record<string, string> {
    const out: Record<string, string> = { ...wf.labels, [LABEL_COMPLETED]: isFinished(wf.phase) ? 'true' : 'false' };
    if (wf.phase !== '') out[LABEL_PHASE] = wf.phase;
    if (wf.archived) out[LABEL_ARCHIVING] = 'Archived';
    return out;
  }

  /** The workflow's nodes (derived for untouched generated workflows). */
  nodes(wf: StubWorkflow): StubNode[] {
    return wf.nodes ?? (wf.gen ? this.generatedNodes(wf, wf.gen) : []);
  }

  // ---- mutations ------------------------------------------------------------------------------

  /**
   * Validates and stores a workflow as the server would on create (`dryRun`: returns it without
   * storing). Throws ArgoError 3 when invalid, 6 when the name is taken.
   */
  createWorkflow(namespace: string, input: Json, options: { dryRun?: boolean } = {}): StubWorkflow {
    const metadata = (input.metadata ?? {}) as Json;
    const spec = (input.spec ?? {}) as Json;
    let name = typeof metadata.name === 'string' ? metadata.name : '';
    const generateName = typeof metadata.generateName === 'string' ? metadata.generateName : undefined;
    if (!name && generateName) name = this.uniqueName(namespace, generateName);
    if (!name) throw invalid('workflow must have a name or generateName');
    if (name.length > 63) throw invalid(`workflow name "${name}" must be no more than 63 characters`);
    this.validate(spec, namespace);
    if (this.live.has(`${namespace}/${name}`)) throw new ArgoError(6, `workflows.argoproj.io "${name}" already exists`);
    const now = this.clock();
    const wf: StubWorkflow = {
      seq: this.seqs++,
      name,
      generateName,
      namespace,
      uid: randomUUID(),
      created: now,
      rv: 0,
      labels: { ...((metadata.labels ?? {}) as Record<string, string>) },
      annotations: metadata.annotations ? { ...(metadata.annotations as Record<string, string>) } : undefined,
      spec: structuredClone(spec),
      phase: '',
      startedAt: null,
      finishedAt: null,
      nodes: [],
      archived: false,
      live: true,
    };
    // Argo ignores workflows labelled completed; the stub keeps the label derived.
    delete wf.labels[LABEL_COMPLETED];
    delete wf.labels[LABEL_PHASE];
    if (options.dryRun) {
      this.seqs--;
      wf.rv = this.rvs;
      return wf;
    }
    wf.rv = this.bump();
    this.workflows.push(wf);
    this.live.set(`${namespace}/${name}`, wf);
    this.active.add(wf);
    this.emit('ADDED', wf);
    return wf;
  }

  /** A new workflow from a template or cron workflow, as POST …/submit makes it. */
  submit(
    namespace: string,
    kind: string,
    resourceName: string,
    opts: { name?: string; generateName?: string; parameters?: string[]; labels?: string; entryPoint?: string; dryRun?: boolean },
  ): StubWorkflow {
    const labels: Record<string, string> = {};
    let spec: Json;
    let base: string;
    if (kind === 'WorkflowTemplate') {
      const tpl = this.templates.get(`${namespace}/${resourceName}`);
      if (!tpl) throw new ArgoError(5, `workflowtemplates.argoproj.io "${resourceName}" not found`);
      spec = { workflowTemplateRef: { name: tpl.name } };
      labels[LABEL_TEMPLATE] = tpl.name;
      base = tpl.name;
    } else if (kind === 'CronWorkflow') {
      const cron = this.crons.get(`${namespace}/${resourceName}`);
      if (!cron) throw new ArgoError(5, `cronworkflows.argoproj.io "${resourceName}" not found`);
      spec = structuredClone(cron.spec.workflowSpec);
      labels[LABEL_CRON] = cron.name;
      base = cron.name;
    } else if (kind === 'ClusterWorkflowTemplate') {
      throw new ArgoError(5, `clusterworkflowtemplates.argoproj.io "${resourceName}" not found`);
    } else {
      throw invalid(`resourceKind ${kind} is not supported`);
    }
    for (const pair of (opts.labels ?? '').split(',').filter(Boolean)) {
      const [k, ...v] = pair.split('=');
      if (!k || v.length === 0) throw invalid(`invalid label "${pair}": expected key=value`);
      labels[k.trim()] = v.join('=').trim();
    }
    if (opts.parameters?.length) {
      const params = opts.parameters.map((p) => {
        const i = p.indexOf('=');
        if (i <= 0) throw invalid(`invalid parameter "${p}": expected name=value`);
        return { name: p.slice(0, i), value: p.slice(i + 1) };
      });
      spec.arguments = { parameters: params };
    }
    if (opts.entryPoint) spec.entrypoint = opts.entryPoint;
    const metadata: Json = { labels };
    if (opts.name) metadata.name = opts.name;
    else metadata.generateName = opts.generateName ?? `${base}-`;
    if (kind === 'CronWorkflow' && !opts.dryRun) {
      const cron = this.crons.get(`${namespace}/${resourceName}`)!;
      cron.lastScheduled = this.clock();
      cron.rv = this.bump();
    }
    return this.createWorkflow(namespace, { metadata, spec }, { dryRun: opts.dryRun });
  }

  deleteWorkflow(namespace: string, name: string): void {
    const wf = this.live.get(`${namespace}/${name}`);
    if (!wf) throw new ArgoError(5, `workflows.argoproj.io "${name}" not found`);
    this.live.delete(`${namespace}/${name}`);
    this.active.delete(wf);
    wf.live = false;
    this.bump();
    this.emit('DELETED', wf);
    if (wf.archived) return;
    const i = this.workflows.indexOf(wf);
    if (i >= 0) this.workflows.splice(i, 1);
  }

  /** Removes a workflow's archive copy (the live object, if any, stays and loses the label). */
  deleteArchived(uid: string): void {
    const wf = this.byUid(uid);
    if (!wf?.archived) throw new ArgoError(5, `archived workflow ${uid} not found`);
    wf.archived = false;
    this.archivedByName.delete(`${wf.namespace}/${wf.name}`);
    if (!wf.live) {
      const i = this.workflows.indexOf(wf);
      if (i >= 0) this.workflows.splice(i, 1);
    } else {
      wf.rv = this.bump();
      this.emit('MODIFIED', wf);
    }
  }

  /** Labels a workflow archived (a finished one, as the controller's archiver would). */
  archive(namespace: string, name: string): StubWorkflow {
    const wf = this.live.get(`${namespace}/${name}`);
    if (!wf) throw new ArgoError(5, `workflows.argoproj.io "${name}" not found`);
    this.markArchived(wf);
    wf.rv = this.bump();
    this.emit('MODIFIED', wf);
    return wf;
  }

  private markArchived(wf: StubWorkflow): void {
    wf.archived = true;
    this.archivedByName.set(`${wf.namespace}/${wf.name}`, wf);
  }

  /**
   * Stop (exit handlers would run) or terminate: running nodes fail and the workflow ends Failed
   * with "Stopped with strategy '<strategy>'". A stop's `nodeMessage` goes on the nodes it stopped.
   */
  shutdown(namespace: string, name: string, strategy: 'Stop' | 'Terminate', nodeMessage?: string): StubWorkflow {
    const wf = this.mustLive(namespace, name);
    if (isFinished(wf.phase)) throw new ArgoError(9, `cannot shutdown a completed workflow: workflow: "${name}", namespace: "${namespace}"`);
    this.materialize(wf);
    const now = this.clock();
    const message = `Stopped with strategy '${strategy}'`;
    for (const n of wf.nodes!) {
      if (!isFinished(n.phase)) {
        n.phase = 'Failed';
        n.finishedAt = now;
        n.message = nodeMessage || message;
      }
    }
    wf.phase = 'Failed';
    wf.startedAt ??= now;
    wf.finishedAt = now;
    wf.message = message;
    wf.spec = { ...wf.spec, shutdown: strategy };
    wf.rv = this.bump();
    this.active.delete(wf);
    if (this.archiveOnFinish) this.markArchived(wf);
    this.emit('MODIFIED', wf);
    return wf;
  }

  /** Retries a Failed or Errored workflow in place: failed nodes and what came after them run again. */
  retry(namespace: string, name: string, req: { restartSuccessful?: boolean; nodeFieldSelector?: string }): StubWorkflow {
    const wf = this.mustLive(namespace, name);
    const selective = !!req.restartSuccessful && !!req.nodeFieldSelector;
    if (!(wf.phase === 'Failed' || wf.phase === 'Error' || (wf.phase === 'Succeeded' && selective))) {
      throw invalid(`workflow must be Failed/Error to retry`);
    }
    this.materialize(wf);
    const plan = this.plan(wf);
    const again = new Set<string>();
    const pods = wf.nodes!.filter((n) => n.type === 'Pod');
    for (const n of pods) if (n.phase === 'Failed' || n.phase === 'Error') again.add(n.id);
    if (selective) {
      const select = parseNodeSelector(req.nodeFieldSelector!);
      for (const n of pods) if (select(n)) again.add(n.id);
    }
    // Whatever ran after a node that runs again runs again too.
    const rerunTasks = new Set(pods.filter((n) => again.has(n.id)).map((n) => n.task!));
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of plan.tasks) {
        if (!rerunTasks.has(t.key) && t.deps.some((d) => rerunTasks.has(d))) {
          rerunTasks.add(t.key);
          grew = true;
        }
      }
    }
    const drop = new Set(pods.filter((n) => rerunTasks.has(n.task!)).map((n) => n.id));
    const touchedGroups = new Set(pods.filter((n) => drop.has(n.id) && n.group !== undefined).map((n) => n.group));
    let nodes = wf.nodes!.filter((n) => !drop.has(n.id));
    for (const n of nodes) n.children = n.children.filter((c) => !drop.has(c));
    // A step group left empty goes too; the controller makes it again.
    const empty = new Set(nodes.filter((n) => n.type === 'StepGroup' && n.children.length === 0).map((n) => n.id));
    nodes = nodes.filter((n) => !empty.has(n.id));
    for (const n of nodes) {
      n.children = n.children.filter((c) => !empty.has(c));
      const reopened = n.id === wf.name || n.phase !== 'Succeeded' || (n.type === 'StepGroup' && touchedGroups.has(n.group));
      if (n.type !== 'Pod' && reopened) {
        n.phase = 'Running';
        n.finishedAt = null;
        n.message = undefined;
      }
    }
    wf.nodes = nodes;
    // Retry drops the archiving label: the live object is served again until it is archived anew.
    if (wf.archived) {
      wf.archived = false;
      this.archivedByName.delete(`${wf.namespace}/${wf.name}`);
    }
    wf.phase = 'Running';
    wf.finishedAt = null;
    wf.message = undefined;
    if (wf.spec.shutdown) {
      const { shutdown: _, ...rest } = wf.spec;
      wf.spec = rest;
    }
    wf.rv = this.bump();
    this.active.add(wf);
    this.emit('MODIFIED', wf);
    return wf;
  }

  /** A new workflow `<name>-xxxxx` with the same spec and labels. */
  resubmit(namespace: string, name: string, req: { parameters?: string[] }): StubWorkflow {
    const wf = this.get(namespace, name);
    if (!wf) throw new ArgoError(5, `workflows.argoproj.io "${name}" not found`);
    const spec = structuredClone(wf.spec);
    delete spec.shutdown;
    if (req.parameters?.length) {
      const params = ((spec.arguments as Json | undefined)?.parameters as Array<{ name: string; value?: string }> | undefined) ?? [];
      for (const p of req.parameters) {
        const i = p.indexOf('=');
        const hit = params.find((x) => x.name === p.slice(0, i));
        if (hit) hit.value = p.slice(i + 1);
        else params.push({ name: p.slice(0, i), value: p.slice(i + 1) });
      }
      spec.arguments = { ...((spec.arguments as Json) ?? {}), parameters: params };
    }
    return this.createWorkflow(namespace, {
      metadata: { name: this.uniqueName(namespace, `${name}-`), labels: { ...wf.labels, [LABEL_RESUBMITTED]: name } },
      spec,
    });
  }

  createTemplate(namespace: string, input: Json): StubTemplate {
    const metadata = (input.metadata ?? {}) as Json;
    const name = (metadata.name as string | undefined) || (metadata.generateName ? this.uniqueName(namespace, metadata.generateName as string) : '');
    if (!name) throw invalid('workflow template must have a name');
    const spec = (input.spec ?? {}) as Json;
    this.validate(spec, namespace);
    if (this.templates.has(`${namespace}/${name}`)) throw new ArgoError(6, `workflowtemplates.argoproj.io "${name}" already exists`);
    const tpl: StubTemplate = {
      seq: this.seqs++,
      name,
      namespace,
      uid: randomUUID(),
      created: this.clock(),
      rv: this.bump(),
      labels: { ...((metadata.labels ?? {}) as Record<string, string>) },
      spec: structuredClone(spec),
    };
    this.templates.set(`${namespace}/${name}`, tpl);
    return tpl;
  }

  createCron(namespace: string, input: Json): StubCron {
    const metadata = (input.metadata ?? {}) as Json;
    const name = (metadata.name as string | undefined) || '';
    if (!name) throw invalid('cron workflow must have a name');
    const spec = (input.spec ?? {}) as StubCron['spec'];
    if (!Array.isArray(spec.schedules) || spec.schedules.length === 0) throw invalid('cron workflow must have at least one schedule in spec.schedules');
    this.validate((spec.workflowSpec ?? {}) as Json, namespace);
    if (this.crons.has(`${namespace}/${name}`)) throw new ArgoError(6, `cronworkflows.argoproj.io "${name}" already exists`);
    const cron: StubCron = {
      seq: this.seqs++,
      name,
      namespace,
      uid: randomUUID(),
      created: this.clock(),
      rv: this.bump(),
      labels: { ...((metadata.labels ?? {}) as Record<string, string>) },
      spec: structuredClone(spec),
      lastScheduled: null,
    };
    this.crons.set(`${namespace}/${name}`, cron);
    return cron;
  }

  setCronSuspended(namespace: string, name: string, suspend: boolean): StubCron {
    const cron = this.crons.get(`${namespace}/${name}`);
    if (!cron) throw new ArgoError(5, `cronworkflows.argoproj.io "${name}" not found`);
    cron.spec = { ...cron.spec, suspend };
    cron.rv = this.bump();
    return cron;
  }

  // ---- the controller -------------------------------------------------------------------------

  /** Advances every running workflow to `now` (called by the server's timer). */
  tick(now = this.clock()): void {
    for (const wf of [...this.active]) this.advance(wf, now);
  }

  /**
   * Runs one workflow to its end at once, on a simulated clock that starts at `from` (default: now)
   * and moves `stepMs` per controller step: a test can seed finished workflows without waiting.
   */
  settle(namespace: string, name: string, from = this.clock()): StubWorkflow {
    const wf = this.mustLive(namespace, name);
    let now = Math.max(from, wf.created);
    for (let i = 0; i < 100_000 && this.active.has(wf); i++) {
      this.advance(wf, now);
      now += Math.max(1, this.stepMs);
    }
    return wf;
  }

  private advance(wf: StubWorkflow, now: number): void {
    const plan = this.plan(wf);
    const nodes = wf.nodes!;
    let changed = false;
    if (wf.phase === '' || wf.phase === 'Pending') {
      wf.phase = 'Running';
      wf.startedAt = now;
      if (plan.kind !== 'pod') {
        nodes.push({
          id: wf.name,
          name: wf.name,
          displayName: wf.name,
          type: plan.kind === 'dag' ? 'DAG' : 'Steps',
          templateName: plan.entry,
          phase: 'Running',
          startedAt: now,
          finishedAt: null,
          children: [],
        });
      }
      changed = true;
    }
    const byTask = new Map(nodes.filter((n) => n.task !== undefined).map((n) => [n.task!, n]));
    for (const n of byTask.values()) {
      if (n.phase === 'Pending') {
        n.phase = 'Running';
        changed = true;
      }
      if (n.phase === 'Running' && now - n.startedAt >= this.stepMs) {
        n.phase = this.taskOutcome({ name: wf.name, labels: this.labels(wf) }, n.displayName);
        n.finishedAt = now;
        if (n.phase === 'Succeeded') {
          const outputs = this.taskOutputs({ name: wf.name, labels: this.labels(wf) }, n.displayName);
          if (outputs) n.outputs = outputs;
        }
        if (n.phase === 'Failed') n.message = 'Error (exit code 1)';
        if (n.phase === 'Error') n.message = 'pod deleted';
        changed = true;
      }
    }
    const failed = [...byTask.values()].find((n) => n.phase === 'Failed' || n.phase === 'Error');
    if (!failed) {
      for (const t of plan.tasks) {
        if (byTask.has(t.key)) continue;
        const ready =
          plan.kind === 'steps'
            ? plan.tasks.every((o) => (o.group ?? 0) >= (t.group ?? 0) || byTask.get(o.key)?.phase === 'Succeeded')
            : t.deps.every((d) => byTask.get(d)?.phase === 'Succeeded');
        if (!ready) continue;
        byTask.set(t.key, this.addPod(wf, plan, t, now));
        changed = true;
      }
    }
    const running = [...byTask.values()].some((n) => !isFinished(n.phase));
    const groups = nodes.filter((n) => n.type === 'StepGroup');
    for (const g of groups) {
      const kids = nodes.filter((n) => n.type === 'Pod' && n.group === g.group);
      if (g.phase === 'Running' && kids.length > 0 && kids.every((k) => isFinished(k.phase))) {
        g.phase = kids.every((k) => k.phase === 'Succeeded') ? 'Succeeded' : 'Failed';
        g.finishedAt = now;
        changed = true;
      }
    }
    if (!running && (failed || plan.tasks.every((t) => byTask.get(t.key)?.phase === 'Succeeded'))) {
      wf.phase = failed ? (failed.phase as WorkflowPhase) : 'Succeeded';
      wf.finishedAt = now;
      if (failed) wf.message = `child '${failed.id}' failed`;
      for (const n of nodes) {
        if (!isFinished(n.phase)) {
          n.phase = failed ? 'Failed' : 'Succeeded';
          n.finishedAt = now;
          if (failed) n.message = `child '${failed.id}' failed`;
        }
      }
      this.active.delete(wf);
      if (this.archiveOnFinish) this.markArchived(wf);
      changed = true;
    }
    if (changed) {
      wf.rv = this.bump();
      this.emit('MODIFIED', wf);
    }
  }

  private addPod(wf: StubWorkflow, plan: Plan, t: PlanTask, now: number): StubNode {
    const nodes = wf.nodes!;
    let parent = nodes.find((n) => n.id === wf.name);
    let name = `${wf.name}.${t.name}`;
    if (plan.kind === 'pod') name = wf.name;
    if (plan.kind === 'steps') {
      const groupName = `${wf.name}[${t.group}]`;
      let group = nodes.find((n) => n.type === 'StepGroup' && n.group === t.group);
      if (!group) {
        group = {
          id: nodeId(wf.name, groupName),
          name: groupName,
          displayName: `[${t.group}]`,
          type: 'StepGroup',
          templateName: plan.entry,
          phase: 'Running',
          startedAt: now,
          finishedAt: null,
          children: [],
          group: t.group,
        };
        // Argo chains step groups: the root points at the first, the pods of each group at the next.
        const before = nodes.filter((n) => n.type === 'Pod' && n.group === (t.group ?? 0) - 1);
        if (before.length === 0) parent?.children.push(group.id);
        for (const n of before) n.children.push(group.id);
        nodes.push(group);
      }
      parent = group;
      name = `${groupName}.${t.name}`;
    }
    const node: StubNode = {
      id: plan.kind === 'pod' ? wf.name : nodeId(wf.name, name),
      name,
      displayName: t.name,
      type: 'Pod',
      templateName: t.template,
      phase: 'Pending',
      startedAt: now,
      finishedAt: null,
      children: [],
      task: t.key,
      group: t.group,
    };
    if (plan.kind === 'dag' && t.deps.length > 0) {
      for (const d of t.deps) nodes.find((n) => n.task === d)?.children.push(node.id);
    } else if (parent && !parent.children.includes(node.id)) {
      parent.children.push(node.id);
    }
    nodes.push(node);
    return node;
  }

  /** The spec the controller runs: a template reference is resolved and merged. */
  resolvedSpec(wf: { spec: Json; namespace: string }): Json {
    const ref = wf.spec.workflowTemplateRef as { name?: string } | undefined;
    if (!ref?.name) return wf.spec;
    const tpl = this.templates.get(`${wf.namespace}/${ref.name}`);
    if (!tpl) return wf.spec;
    const { workflowTemplateRef: _, ...own } = wf.spec;
    const merged: Json = { ...tpl.spec, ...own };
    const args = mergeParameters(tpl.spec.arguments as Json | undefined, own.arguments as Json | undefined);
    if (args) merged.arguments = args;
    return merged;
  }

  private plan(wf: StubWorkflow): Plan {
    let plan = this.plans.get(wf);
    if (plan) return plan;
    const spec = this.resolvedSpec(wf);
    const templates = (spec.templates ?? []) as Json[];
    const entry = String(spec.entrypoint ?? '');
    const tpl = templates.find((t) => t.name === entry);
    if (tpl?.dag) {
      const tasks = ((tpl.dag as Json).tasks ?? []) as Json[];
      plan = {
        kind: 'dag',
        entry,
        tasks: tasks.map((t) => ({ key: String(t.name), name: String(t.name), template: String(t.template ?? ''), deps: taskDeps(t) })),
      };
    } else if (tpl?.steps) {
      const groups = tpl.steps as Json[][];
      const tasks: PlanTask[] = [];
      groups.forEach((group, g) => {
        const before = tasks.map((t) => t.key);
        for (const s of group ?? []) tasks.push({ key: `${g}.${s.name}`, name: String(s.name), template: String(s.template ?? ''), deps: before, group: g });
      });
      plan = { kind: 'steps', entry, tasks };
    } else {
      plan = { kind: 'pod', entry, tasks: [{ key: entry, name: entry, template: entry, deps: [] }] };
    }
    this.plans.set(wf, plan);
    return plan;
  }

  /** Argo's checks on create that the stub knows: names, entrypoint, DAG dependencies, tags. */
  validate(rawSpec: Json, namespace = this.namespace): void {
    const spec = this.resolvedSpec({ spec: rawSpec, namespace });
    if (rawSpec.workflowTemplateRef && !spec.templates) {
      const name = (rawSpec.workflowTemplateRef as Json).name;
      throw invalid(`workflowtemplates.argoproj.io "${name}" not found`);
    }
    const templates = (spec.templates ?? []) as Json[];
    const names = new Set<string>();
    for (const t of templates) {
      const name = String(t.name ?? '');
      if (!NAME.test(name) || name.length > 128) throw invalid(`templates.${name} name must match ${NAME.source}`);
      names.add(name);
    }
    const entry = spec.entrypoint;
    if (!entry) throw invalid('spec.entrypoint is required');
    if (!names.has(String(entry))) throw invalid(`spec.entrypoint template '${entry}' not found`);
    const params = new Set((((spec.arguments as Json | undefined)?.parameters ?? []) as Json[]).map((p) => String(p.name)));
    for (const t of templates) {
      const where = `templates.${t.name}`;
      const dagTasks = ((t.dag as Json | undefined)?.tasks ?? []) as Json[];
      const tasks = [...dagTasks];
      if (t.steps) for (const group of t.steps as Json[][]) tasks.push(...(group ?? []));
      for (const task of tasks) {
        const name = String(task.name ?? '');
        if (!NAME.test(name) || name.length > 128) throw invalid(`${where}.tasks.${name} name must match ${NAME.source}`);
        if (task.template && !names.has(String(task.template))) throw invalid(`${where}.tasks.${name} template '${task.template}' not found`);
      }
      const taskNames = new Set(dagTasks.map((x) => String(x.name)));
      for (const task of dagTasks) {
        if (task.dependencies !== undefined && task.depends !== undefined)
          throw invalid(`${where}.tasks.${task.name} cannot use both 'depends' and 'dependencies'`);
        for (const d of taskDeps(task)) if (!taskNames.has(d)) throw invalid(`${where}.tasks.${task.name} dependency '${d}' not defined`);
      }
      const inputs = new Set((((t.inputs as Json | undefined)?.parameters ?? []) as Json[]).map((p) => String(p.name)));
      const text = JSON.stringify(t);
      for (const m of text.matchAll(TAG)) {
        const tag = m[1];
        const known =
          tag === 'workflow.name' ||
          (tag.startsWith('inputs.parameters.') && inputs.has(tag.slice('inputs.parameters.'.length))) ||
          (tag.startsWith('workflow.parameters.') && params.has(tag.slice('workflow.parameters.'.length))) ||
          /^(tasks|steps)\.[a-zA-Z0-9][-a-zA-Z0-9]*\./.test(tag);
        if (!known) throw invalid(`${where}: failed to resolve {{${tag}}}`);
      }
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private mustLive(namespace: string, name: string): StubWorkflow {
    const wf = this.live.get(`${namespace}/${name}`);
    if (!wf) throw new ArgoError(5, `workflows.argoproj.io "${name}" not found`);
    return wf;
  }

  /** Turns a compact generated workflow into a live one with real nodes, before a change. */
  private materialize(wf: StubWorkflow): void {
    if (!wf.gen) {
      wf.nodes ??= [];
      return;
    }
    wf.nodes = this.generatedNodes(wf, wf.gen);
    wf.gen = undefined;
  }

  private uniqueName(namespace: string, prefix: string): string {
    for (;;) {
      const name = `${prefix}${Math.random().toString(36).slice(2, 7).padEnd(5, '0')}`;
      if (!this.live.has(`${namespace}/${name}`)) return name;
    }
  }

  private generatedNodes(wf: StubWorkflow, gen: GeneratedRun): StubNode[] {
    const chain = gen.template.chain ?? [];
    const start = wf.startedAt ?? wf.created;
    const end = wf.finishedAt ?? this.clock();
    const span = Math.max(1000, end - start);
    const slot = Math.floor(span / Math.max(1, gen.pods));
    const root: StubNode = {
      id: wf.name,
      name: wf.name,
      displayName: wf.name,
      type: 'DAG',
      templateName: 'main',
      phase: wf.phase === '' ? 'Running' : (wf.phase as NodePhase),
      startedAt: start,
      finishedAt: wf.finishedAt,
      children: [],
    };
    if (wf.phase === 'Failed' || wf.phase === 'Error') root.message = wf.message;
    const out: StubNode[] = [root];
    let previous = root;
    for (let i = 0; i < gen.pods; i++) {
      const last = i === gen.pods - 1;
      const name = `${wf.name}.${chain[i]}`;
      const phase: NodePhase = !last ? 'Succeeded' : wf.phase === 'Running' || wf.phase === '' ? 'Running' : (wf.phase as NodePhase);
      const node: StubNode = {
        id: nodeId(wf.name, name),
        name,
        displayName: chain[i],
        type: 'Pod',
        templateName: 'work',
        phase,
        startedAt: start + i * slot,
        finishedAt: phase === 'Running' ? null : last ? end : start + (i + 1) * slot,
        children: [],
        task: chain[i],
      };
      if (phase === 'Failed') node.message = 'Error (exit code 1)';
      if (phase === 'Error') node.message = 'pod deleted';
      previous.children.push(node.id);
      previous = node;
      out.push(node);
    }
    return out;
  }

  private generate(o: ArgoStoreOptions): void {
    const ns = this.namespace;
    const now = this.clock();
    const rnd = this.rnd;
    const nTemplates = o.templates ?? 5;
    const nCrons = o.cronWorkflows ?? 2;
    const nWorkflows = o.workflows ?? 20;
    const maxPods = Math.max(1, o.nodesPerWorkflow ?? 4);
    const archivedShare = o.archivedShare ?? 0;
    const hex = (n: number) =>
      Math.floor(rnd() * 16 ** n)
        .toString(16)
        .padStart(n, '0');
    const uid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(rnd() * 4)).toString(16)}${hex(3)}-${hex(6)}${hex(6)}`;
    const since = now - 60 * DAY;
    const tpls: StubTemplate[] = [];
    for (let i = 0; i < nTemplates; i++) {
      const k = 1 + Math.floor(rnd() * maxPods);
      const chain = Array.from({ length: k }, (_, j) => `step-${j}`);
      const spec: Json = {
        entrypoint: 'main',
        arguments: { parameters: [{ name: 'day', value: 'today' }] },
        templates: [
          {
            name: 'main',
            dag: { tasks: chain.map((t, j) => (j === 0 ? { name: t, template: 'work' } : { name: t, template: 'work', dependencies: [chain[j - 1]] })) },
          },
          { name: 'work', container: { image: 'example/worker:1', command: ['sh', '-c'], args: ['echo {{workflow.name}} {{workflow.parameters.day}}'] } },
        ],
      };
      const tpl: StubTemplate = {
        seq: this.seqs++,
        name: `etl-${String(i).padStart(4, '0')}`,
        namespace: ns,
        uid: uid(),
        created: since - DAY + Math.floor(rnd() * DAY),
        rv: this.bump(),
        labels: { 'signalbox.io/team': `team-${i % 7}` },
        spec,
        chain,
      };
      tpls.push(tpl);
      this.templates.set(`${ns}/${tpl.name}`, tpl);
    }
    const crons: StubCron[] = [];
    for (let i = 0; i < nCrons && tpls.length > 0; i++) {
      const tpl = tpls[i % tpls.length];
      const cron: StubCron = {
        seq: this.seqs++,
        name: `cron-${String(i).padStart(4, '0')}`,
        namespace: ns,
        uid: uid(),
        created: since - DAY + Math.floor(rnd() * DAY),
        rv: this.bump(),
        labels: {},
        spec: {
          schedules: [`${i % 60} * * * *`],
          timezone: 'UTC',
          concurrencyPolicy: 'Forbid',
          suspend: i % 4 === 1,
          workflowSpec: { workflowTemplateRef: { name: tpl.name } },
        },
        lastScheduled: now - Math.floor(rnd() * 3_600_000),
      };
      crons.push(cron);
      this.crons.set(`${ns}/${cron.name}`, cron);
    }
    if (tpls.length === 0) return;
    // Owner labels are shared between the workflows of one owner: they never change.
    const tplLabels = tpls.map((t) => ({ [LABEL_TEMPLATE]: t.name }));
    const cronLabels = crons.map((c) => ({ [LABEL_CRON]: c.name }));
    const running = Math.max(1, Math.floor(nWorkflows * 0.005));
    const names = new Set<string>();
    for (let j = 0; j < nWorkflows; j++) {
      const fromCron = crons.length > 0 && rnd() < 0.3;
      const ci = Math.floor(rnd() * Math.max(1, crons.length));
      const owner = fromCron ? crons[ci].name : tpls[Math.floor(rnd() * tpls.length)].name;
      const tpl = fromCron
        ? this.templates.get(`${ns}/${(crons[ci].spec.workflowSpec.workflowTemplateRef as Json).name}`)!
        : this.templates.get(`${ns}/${owner}`)!;
      let name: string;
      do
        name = `${owner}-${Math.floor(rnd() * 36 ** 5)
          .toString(36)
          .padStart(5, '0')}`;
      while (names.has(name));
      names.add(name);
      const created = since + Math.floor(((j + rnd()) / nWorkflows) * (60 * DAY - 3_600_000));
      const startedAt = created + 1000 + Math.floor(rnd() * 5000);
      const chain = tpl.chain!;
      const r = rnd();
      let phase: WorkflowPhase = r < 0.8 ? 'Succeeded' : r < 0.95 ? 'Failed' : 'Error';
      if (j >= nWorkflows - running) phase = 'Running';
      const pods = phase === 'Succeeded' ? chain.length : 1 + Math.floor(rnd() * chain.length);
      const finishedAt = phase === 'Running' ? null : startedAt + pods * (5_000 + Math.floor(rnd() * 60_000));
      const wf: StubWorkflow = {
        seq: this.seqs++,
        name,
        namespace: ns,
        uid: uid(),
        created,
        rv: this.bump(),
        labels: fromCron ? cronLabels[ci] : tplLabels[tpls.indexOf(tpl)],
        spec: { workflowTemplateRef: { name: tpl.name } },
        phase,
        startedAt: phase === 'Running' ? now - 60_000 : startedAt,
        finishedAt,
        gen: { template: tpl, pods },
        archived: phase !== 'Running' && rnd() < archivedShare,
        live: true,
      };
      if (phase === 'Failed' || phase === 'Error') wf.message = `child '${nodeId(name, `${name}.${chain[pods - 1]}`)}' failed`;
      this.workflows.push(wf);
      this.live.set(`${ns}/${name}`, wf);
      if (wf.archived) this.archivedByName.set(`${ns}/${name}`, wf);
    }
  }
}

function taskDeps(t: Json): string[] {
  if (Array.isArray(t.dependencies)) return t.dependencies.map(String);
  if (typeof t.depends === 'string' && t.depends.trim()) {
    // The simple `a && b` forms; `.Succeeded` style suffixes name the same task.
    return t.depends
      .split('&&')
      .map((s) => s.trim().replace(/^\(+|\)+$/g, ''))
      .map((s) => s.split('.')[0])
      .filter(Boolean);
  }
  return [];
}

function mergeParameters(base: Json | undefined, own: Json | undefined): Json | undefined {
  if (!base && !own) return undefined;
  const params = new Map<string, Json>();
  for (const p of ((base?.parameters ?? []) as Json[]).concat((own?.parameters ?? []) as Json[])) params.set(String(p.name), p);
  return { ...(base ?? {}), ...(own ?? {}), parameters: [...params.values()] };
}

/** `displayName=x`, `name=x`, `templateName=x`, `id=x`, `phase=x`, comma-joined (all must hold). */
function parseNodeSelector(selector: string): (n: StubNode) => boolean {
  const terms = selector.split(',').map((t) => {
    const not = t.includes('!=');
    const [k, v] = t.split(not ? '!=' : '=').map((s) => s.trim());
    if (!['displayName', 'name', 'templateName', 'id', 'phase'].includes(k)) throw invalid(`unsupported node field selector key ${k}`);
    return (n: StubNode) => ((n as unknown as Record<string, unknown>)[k] === v) !== not;
  });
  return (n) => terms.every((t) => t(n));
}
