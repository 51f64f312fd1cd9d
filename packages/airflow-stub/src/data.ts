import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';
/**
 * The stub's Airflow metadata: DAGs, DAG runs and task instances, version-neutral. The HTTP layer
 * renders them as /api/v1 or /api/v2 documents. Runs and task instances are kept sorted by
 * `updatedAt` (ties by insertion), so an `updated_at_gte` filter is a binary search and a page is
 * a slice, even with half a million rows.
 */

export type RunState = 'queued' | 'running' | 'success' | 'failed';
export type RunKind = 'scheduled' | 'manual' | 'backfill' | 'event';
/** Every task state either API version knows; `none` is v1's deprecated spelling of null. */
export type TaskState =
  | null
  | 'none'
  | 'removed'
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'restarting'
  | 'failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'upstream_failed'
  | 'skipped'
  | 'deferred';

export const TASK_STATES: readonly TaskState[] = [
  null,
  'none',
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
];

export type Schedule =
  | { kind: 'cron'; value: string; description: string }
  | { kind: 'delta'; seconds: number; description: string }
  | { kind: 'relative'; months: number; description: string }
  | { kind: 'asset'; description: string }
  | null;

export interface StubDag {
  dagId: string;
  displayName: string;
  description: string | null;
  owners: string[];
  tags: string[];
  schedule: Schedule;
  paused: boolean;
  /** False once the DAG's file is gone: Airflow then leaves it out of the DAG list. */
  active: boolean;
  nextRunLogical: number | null;
  nextRunAfter: number | null;
  lastParsed: number;
  /** Task id → the task ids directly downstream of it, for clears that include relatives. */
  downstream: Record<string, string[]>;
}

export interface StubRun {
  seq: number;
  dagId: string;
  runId: string;
  state: RunState;
  kind: RunKind;
  /** Who started it (v2 `triggered_by`). */
  triggeredBy: 'timetable' | 'rest_api' | 'ui' | 'backfill' | 'asset';
  logicalDate: number | null;
  runAfter: number;
  queuedAt: number | null;
  startDate: number | null;
  endDate: number | null;
  lastSchedulingDecision: number | null;
  conf: Record<string, unknown>;
  note: string | null;
  updatedAt: number;
}

export interface StubTask {
  seq: number;
  /** A stable UUID, as Airflow 3 has. */
  id: string;
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  maxTries: number;
  queuedWhen: number | null;
  scheduledWhen: number | null;
  startDate: number | null;
  endDate: number | null;
  operator: string;
  pool: string;
  queue: string;
  updatedAt: number;
}

export interface GenerateOptions {
  seed?: number;
  dags?: number;
  runs?: number;
  taskInstances?: number;
  /** The newest generated time, ms since epoch (default: when the store is made). */
  now?: number;
  /** How far back generated runs reach, in days (default 20). */
  spanDays?: number;
}

/** Uniform numbers in [0, 1) from a seeded Mersenne Twister: the same seed gives the same fleet on every machine. */
export function prng(seed: number): () => number {
  const rng = mersenne(seed);
  return () => uniformFloat64(rng);
}

const OWNERS = ['airflow', 'data-eng', 'analytics', 'ml-platform', 'finance-data', 'growth'];
const TAGS = ['etl', 'daily', 'hourly', 'reporting', 'ml', 'finance', 'critical', 'marketing', 'ingest'];
const OPERATORS = ['PythonOperator', 'BashOperator', 'SQLExecuteQueryOperator', 'EmptyOperator', 'S3KeySensor', 'KubernetesPodOperator'];
const CRONS: Array<[string, string]> = [
  ['0 * * * *', 'At 0 minutes past the hour'],
  ['0 2 * * *', 'At 02:00'],
  ['*/15 * * * *', 'Every 15 minutes'],
  ['30 6 * * 1-5', 'At 06:30, Monday through Friday'],
];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const iso = (ms: number) => new Date(ms).toISOString();

/** A UUID whose leading bits count up, as Airflow 3's time-ordered (v7) task instance ids do. */
function uuidFrom(seq: number, rnd: () => number): string {
  const rand = Array.from({ length: 20 }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const head = seq.toString(16).padStart(12, '0');
  return `${head.slice(0, 8)}-${head.slice(8, 12)}-7${rand.slice(0, 3)}-a${rand.slice(3, 6)}-${rand.slice(6, 18)}`;
}

/** Index of the first element with updatedAt >= t (arrays sorted by updatedAt). */
function lowerBound(xs: ReadonlyArray<{ updatedAt: number }>, t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid].updatedAt < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element with updatedAt > t. */
function upperBound(xs: ReadonlyArray<{ updatedAt: number }>, t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid].updatedAt <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface UpdatedRange {
  gte?: number;
  gt?: number;
  lte?: number;
  lt?: number;
}

/** What POST …/clearTaskInstances picks, in the store's terms. */
export interface ClearSelection {
  dagId: string;
  /** One run; else every run of the DAG whose logical date is inside [from, to] (open ends: null). */
  runId: string | null;
  from: number | null;
  to: number | null;
  /** These tasks (all map indexes); null: every task. */
  taskIds: string[] | null;
  downstream: boolean;
  upstream: boolean;
  onlyFailed: boolean;
  onlyRunning: boolean;
}

/** States that end a task instance; everything else (no state included) is unfinished. */
const FINISHED: ReadonlySet<TaskState> = new Set<TaskState>(['success', 'failed', 'skipped', 'upstream_failed', 'removed']);
/** Task instances that hold a worker or a trigger: marking the run stops them with the run's state. */
const RUNNING: ReadonlySet<TaskState> = new Set<TaskState>(['running', 'deferred', 'up_for_reschedule']);

export class StubStore {
  readonly dags = new Map<string, StubDag>();
  /** Sorted by (updatedAt, seq). */
  runs: StubRun[] = [];
  private readonly runByKey = new Map<string, StubRun>();
  /** Sorted by (updatedAt, seq). */
  tasks: StubTask[] = [];
  private seq = 0;
  /** Grows on every change, so cached views of the data know when they are stale. */
  revision = 0;
  private lastStamp = 0;
  private readonly rnd: () => number;

  constructor(
    options: GenerateOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.rnd = prng(options.seed ?? 1);
    this.generate(options);
  }

  /** A strictly increasing "now", so a touched row always sorts last, as with order_by=updated_at. */
  stamp(): number {
    this.revision++;
    const now = Math.max(this.clock(), this.lastStamp + 1);
    this.lastStamp = now;
    return now;
  }

  private generate(o: GenerateOptions): void {
    const rnd = this.rnd;
    const nDags = o.dags ?? 5;
    const nRuns = o.runs ?? 20;
    const nTasks = o.taskInstances ?? 60;
    const now = o.now ?? this.clock();
    const span = (o.spanDays ?? 20) * 86_400_000;
    const dagWidth = Math.max(4, String(nDags).length);
    const dagIds: string[] = [];

    for (let i = 0; i < nDags; i++) {
      const dagId = `dag_${pad(i, dagWidth)}`;
      dagIds.push(dagId);
      const r = rnd();
      let schedule: Schedule;
      if (r < 0.55) {
        const [value, description] = pick(rnd, CRONS);
        schedule = { kind: 'cron', value, description };
      } else if (r < 0.75) {
        const hours = 1 + Math.floor(rnd() * 12);
        schedule = { kind: 'delta', seconds: hours * 3600, description: '' };
      } else if (r < 0.8) {
        schedule = { kind: 'relative', months: 1, description: '' };
      } else if (r < 0.88) {
        schedule = { kind: 'asset', description: 'Triggered by assets' };
      } else {
        schedule = null;
      }
      const owners = rnd() < 0.2 ? [pick(rnd, OWNERS), pick(rnd, OWNERS)] : [pick(rnd, OWNERS)];
      const tags = Array.from(new Set(Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, TAGS))));
      const next = schedule && schedule.kind !== 'asset' ? now + Math.floor(rnd() * 3_600_000) : null;
      this.dags.set(dagId, {
        dagId,
        displayName: rnd() < 0.3 ? `Pipeline ${i}` : dagId,
        description: rnd() < 0.7 ? `Moves data for ${dagId}` : null,
        owners: Array.from(new Set(owners)),
        tags,
        schedule,
        paused: rnd() < 0.1,
        active: true,
        nextRunLogical: next === null ? null : next - 3_600_000,
        nextRunAfter: next,
        lastParsed: now - Math.floor(rnd() * 60_000),
        downstream: {},
      });
    }

    // Runs spread over the span, newest last; every row's updated_at is its latest time, as
    // Airflow's onupdate column would leave it.
    const runs: StubRun[] = [];
    for (let j = 0; j < nRuns && nDags > 0; j++) {
      const dagId = dagIds[j % nDags];
      const logical = now - span + Math.floor(((j + rnd()) / Math.max(1, nRuns)) * span) - 3_600_000;
      const recent = j >= nRuns * 0.97;
      const s = rnd();
      const state: RunState = recent ? (s < 0.4 ? 'queued' : s < 0.8 ? 'running' : 'success') : s < 0.85 ? 'success' : 'failed';
      const k = rnd();
      const kind: RunKind = k < 0.8 ? 'scheduled' : k < 0.9 ? 'manual' : k < 0.95 ? 'backfill' : 'event';
      const queuedAt = logical + 3_600_000;
      const startDate = state === 'queued' ? null : queuedAt + Math.floor(rnd() * 5_000);
      const endDate = state === 'success' || state === 'failed' ? startDate! + 1_000 + Math.floor(rnd() * 600_000) : null;
      const decision = Math.min(now, endDate ?? (startDate === null ? queuedAt : startDate + Math.floor(rnd() * 60_000)));
      const prefix = kind === 'event' ? 'dataset_triggered' : kind;
      runs.push({
        seq: this.seq++,
        dagId,
        runId: `${prefix}__${iso(logical).replace('Z', '+00:00')}_${pad(j, 6)}`,
        state,
        kind,
        triggeredBy: kind === 'manual' ? 'ui' : kind === 'backfill' ? 'backfill' : kind === 'event' ? 'asset' : 'timetable',
        logicalDate: logical,
        runAfter: queuedAt,
        queuedAt,
        startDate,
        endDate,
        lastSchedulingDecision: decision,
        conf: kind === 'manual' ? { requested_by: pick(rnd, OWNERS) } : {},
        note: rnd() < 0.05 ? 'rerun after upstream fix' : null,
        updatedAt: Math.max(queuedAt, startDate ?? 0, endDate ?? 0, decision),
      });
    }

    // Task instances spread over the runs: the first tasks of a run are mapped now and then.
    const tasks: StubTask[] = [];
    const perRun = runs.length === 0 ? 0 : nTasks / runs.length;
    let made = 0;
    for (let j = 0; j < runs.length && made < nTasks; j++) {
      const run = runs[j];
      const count = Math.min(nTasks - made, Math.floor((j + 1) * perRun) - Math.floor(j * perRun));
      for (let t = 0; t < count; t++) {
        const mapped = t > 0 && t === count - 1 && rnd() < 0.3;
        const state = taskStateFor(run, t, rnd);
        const base = run.startDate ?? run.queuedAt ?? run.runAfter;
        const queuedWhen = state === null || state === 'scheduled' || state === 'removed' ? null : base + t * 1_000;
        const startDate = queuedWhen === null || state === 'queued' ? null : queuedWhen + 500;
        const finished = ['success', 'failed', 'skipped', 'upstream_failed', 'up_for_retry'].includes(state ?? '');
        const endDate = finished && startDate !== null ? startDate + 1_000 + Math.floor(rnd() * 60_000) : null;
        const scheduledWhen = state === 'scheduled' ? base : null;
        tasks.push({
          seq: this.seq++,
          id: uuidFrom(this.seq, rnd),
          dagId: run.dagId,
          runId: run.runId,
          taskId: mapped ? 'process_partition' : `task_${pad(t, 2)}`,
          mapIndex: mapped ? Math.floor(rnd() * 4) : -1,
          state,
          tryNumber: state === 'up_for_retry' ? 1 : state === null ? 0 : 1 + (rnd() < 0.05 ? 1 : 0),
          maxTries: 2,
          queuedWhen,
          scheduledWhen,
          startDate,
          endDate,
          operator: pick(rnd, OPERATORS),
          pool: 'default_pool',
          queue: 'default',
          updatedAt: Math.max(queuedWhen ?? 0, scheduledWhen ?? 0, startDate ?? 0, endDate ?? 0) || run.updatedAt,
        });
        made++;
      }
    }
    const byUpdated = (a: { updatedAt: number; seq: number }, b: { updatedAt: number; seq: number }) => a.updatedAt - b.updatedAt || a.seq - b.seq;
    this.runs = runs.sort(byUpdated);
    for (const r of runs) this.runByKey.set(runKey(r.dagId, r.runId), r);
    this.tasks = tasks.sort(byUpdated);
    this.lastStamp = Math.max(now, this.runs.at(-1)?.updatedAt ?? 0, this.tasks.at(-1)?.updatedAt ?? 0);
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** Active DAGs ordered by dag_id (Airflow's default order). */
  listDags(): StubDag[] {
    return [...this.dags.values()].filter((d) => d.active).sort((a, b) => (a.dagId < b.dagId ? -1 : a.dagId > b.dagId ? 1 : 0));
  }

  /** The slice of a sorted collection inside an updated_at range. */
  range<T extends { updatedAt: number }>(xs: T[], r: UpdatedRange): T[] {
    let lo = 0;
    let hi = xs.length;
    if (r.gte !== undefined) lo = Math.max(lo, lowerBound(xs, r.gte));
    if (r.gt !== undefined) lo = Math.max(lo, upperBound(xs, r.gt));
    if (r.lte !== undefined) hi = Math.min(hi, upperBound(xs, r.lte));
    if (r.lt !== undefined) hi = Math.min(hi, lowerBound(xs, r.lt));
    return lo === 0 && hi === xs.length ? xs : xs.slice(lo, Math.max(lo, hi));
  }

  findRun(dagId: string, runId: string): StubRun | undefined {
    return this.runByKey.get(runKey(dagId, runId));
  }

  // ---- mutations (each bumps updated_at, as Airflow's onupdate column does) -----------------

  private touchRun(run: StubRun, at = this.stamp()): void {
    const i = this.runs.indexOf(run);
    if (i >= 0) this.runs.splice(i, 1);
    run.updatedAt = at;
    this.runs.push(run);
  }

  private touchTask(task: StubTask, at = this.stamp()): void {
    const i = this.tasks.indexOf(task);
    if (i >= 0) this.tasks.splice(i, 1);
    task.updatedAt = at;
    this.tasks.push(task);
  }

  /** Adds a run as a trigger would: queued, manual. Returns undefined when the DAG is unknown. */
  addRun(
    dagId: string,
    init: { runId: string; logicalDate: number | null; conf?: Record<string, unknown>; note?: string | null; triggeredBy?: StubRun['triggeredBy'] },
  ): StubRun {
    const now = this.stamp();
    const run: StubRun = {
      seq: this.seq++,
      dagId,
      runId: init.runId,
      state: 'queued',
      kind: 'manual',
      triggeredBy: init.triggeredBy ?? 'rest_api',
      logicalDate: init.logicalDate,
      runAfter: now,
      queuedAt: now,
      startDate: null,
      endDate: null,
      lastSchedulingDecision: null,
      conf: init.conf ?? {},
      note: init.note ?? null,
      updatedAt: now,
    };
    this.runs.push(run);
    this.runByKey.set(runKey(dagId, run.runId), run);
    return run;
  }

  /** Moves a run to a state; a finished state sets its end date (and a start date if missing). */
  setRunState(dagId: string, runId: string, state: RunState): StubRun {
    const run = this.findRun(dagId, runId);
    if (!run) throw new Error(`no run ${dagId}/${runId}`);
    const now = this.stamp();
    run.state = state;
    if (state !== 'queued') run.startDate ??= now;
    if (state === 'success' || state === 'failed') run.endDate = now;
    run.lastSchedulingDecision = now;
    this.touchRun(run, now);
    return run;
  }

  /**
   * What PATCH …/dagRuns/{run} `{state}` does in Airflow (`set_dag_run_state_to_*`). `failed`, and
   * `success` on Airflow 3: task instances that hold a worker or a trigger take that state, every
   * other unfinished one is skipped. `success` on Airflow 2.10 (`everyTaskOnSuccess`) marks every
   * task instance success. `queued` moves the run alone. The run's times follow Airflow's
   * `DagRun.set_state`: finishing sets the end date, queueing clears start and end.
   */
  patchRunState(dagId: string, runId: string, state: 'queued' | 'success' | 'failed', everyTaskOnSuccess = false): StubRun {
    const run = this.findRun(dagId, runId);
    if (!run) throw new Error(`no run ${dagId}/${runId}`);
    const now = this.stamp();
    if (state !== 'queued') {
      for (const t of this.tasks.filter((x) => x.dagId === dagId && x.runId === runId)) {
        let next: TaskState | undefined;
        if (state === 'success' && everyTaskOnSuccess) next = t.state === 'success' ? undefined : 'success';
        else if (RUNNING.has(t.state)) next = state;
        else if (!FINISHED.has(t.state)) next = 'skipped';
        if (next === undefined) continue;
        t.state = next;
        t.startDate ??= now;
        t.endDate ??= now;
        this.touchTask(t, now);
      }
    }
    if (run.state === state) return run;
    const was = run.state;
    run.state = state;
    if (state === 'queued') {
      run.queuedAt = now;
      run.startDate = null;
      run.endDate = null;
    } else if (was === 'queued' || was === 'running') {
      run.endDate = now;
    }
    this.touchRun(run, now);
    return run;
  }

  /** The task instances a clear picks, in the store's order (see ClearSelection). */
  tasksToClear(sel: ClearSelection): StubTask[] {
    const runs = new Set(
      this.runs
        .filter((r) => r.dagId === sel.dagId && (sel.runId !== null ? r.runId === sel.runId : inside(r.logicalDate, sel.from, sel.to)))
        .map((r) => r.runId),
    );
    const ids = sel.taskIds === null ? null : this.relatives(sel.dagId, sel.taskIds, sel.downstream, sel.upstream);
    const states = new Set<TaskState>([
      ...(sel.onlyFailed ? (['failed', 'upstream_failed'] as const) : []),
      ...(sel.onlyRunning ? (['running'] as const) : []),
    ]);
    return this.tasks.filter(
      (t) => t.dagId === sel.dagId && runs.has(t.runId) && (ids === null || ids.has(t.taskId)) && (states.size === 0 || states.has(t.state)),
    );
  }

  /**
   * What Airflow's `clear_task_instances` does: each task instance goes back to no state (a running
   * one to restarting, so that Airflow stops it), keeping its try number; `max_tries` becomes at
   * least the try number (the stub knows no task's retries). With `resetRuns`, each finished run
   * among theirs is queued again, as `DagRun.set_state` leaves a queued run.
   */
  clearTasks(tasks: StubTask[], resetRuns: boolean): void {
    if (tasks.length === 0) return;
    const now = this.stamp();
    for (const t of tasks) {
      t.state = t.state === 'running' ? 'restarting' : null;
      t.maxTries = Math.max(t.maxTries, t.tryNumber);
      this.touchTask(t, now);
    }
    if (!resetRuns) return;
    for (const key of new Set(tasks.map((t) => runKey(t.dagId, t.runId)))) {
      const run = this.runByKey.get(key);
      if (!run || (run.state !== 'success' && run.state !== 'failed')) continue;
      run.state = 'queued';
      run.queuedAt = now;
      run.startDate = null;
      run.endDate = null;
      run.lastSchedulingDecision = null;
      this.touchRun(run, now);
    }
  }

  /** Task ids with everything downstream and/or upstream of them in the DAG's graph. */
  private relatives(dagId: string, taskIds: string[], downstream: boolean, upstream: boolean): Set<string> {
    const edges = this.dags.get(dagId)?.downstream ?? {};
    const reach = (next: (id: string) => string[]) => {
      const seen = new Set<string>();
      const todo = [...taskIds];
      for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
        for (const n of next(id)) {
          if (seen.has(n)) continue;
          seen.add(n);
          todo.push(n);
        }
      }
      return seen;
    };
    const out = new Set(taskIds);
    if (downstream) for (const id of reach((id) => edges[id] ?? [])) out.add(id);
    if (upstream) for (const id of reach((id) => Object.keys(edges).filter((from) => edges[from].includes(id)))) out.add(id);
    return out;
  }

  setRunNote(dagId: string, runId: string, note: string | null): StubRun {
    const run = this.findRun(dagId, runId);
    if (!run) throw new Error(`no run ${dagId}/${runId}`);
    run.note = note;
    this.touchRun(run);
    return run;
  }

  /** Adds a task instance to a run (or sets the state of the one with that task id). */
  setTaskState(dagId: string, runId: string, taskId: string, state: TaskState, mapIndex = -1): StubTask {
    let task = this.tasks.find((t) => t.dagId === dagId && t.runId === runId && t.taskId === taskId && t.mapIndex === mapIndex);
    const now = this.stamp();
    if (!task) {
      const seq = this.seq++;
      task = {
        seq,
        id: uuidFrom(seq, this.rnd),
        dagId,
        runId,
        taskId,
        mapIndex,
        state,
        tryNumber: 1,
        maxTries: 2,
        queuedWhen: null,
        scheduledWhen: null,
        startDate: null,
        endDate: null,
        operator: 'PythonOperator',
        pool: 'default_pool',
        queue: 'default',
        updatedAt: now,
      };
    }
    task.state = state;
    if (state === 'running' || state === 'success' || state === 'failed') task.startDate ??= now;
    if (state === 'success' || state === 'failed') task.endDate = now;
    this.touchTask(task, now);
    return task;
  }

  /** Adds an active DAG (its file appeared). */
  addDag(dagId: string, init: Partial<Omit<StubDag, 'dagId'>> = {}): StubDag {
    const dag: StubDag = {
      dagId,
      displayName: dagId,
      description: null,
      owners: ['airflow'],
      tags: [],
      schedule: null,
      paused: false,
      active: true,
      nextRunLogical: null,
      nextRunAfter: null,
      lastParsed: this.stamp(),
      downstream: {},
      ...init,
    };
    this.dags.set(dagId, dag);
    return dag;
  }

  /** The DAG's file is gone: Airflow keeps its runs but lists it no more. */
  removeDag(dagId: string): void {
    const dag = this.dags.get(dagId);
    if (!dag) throw new Error(`no dag ${dagId}`);
    this.revision++;
    dag.active = false;
  }

  setPaused(dagId: string, paused: boolean): void {
    const dag = this.dags.get(dagId);
    if (!dag) throw new Error(`no dag ${dagId}`);
    this.revision++;
    dag.paused = paused;
  }
}

const runKey = (dagId: string, runId: string) => `${dagId}\u0000${runId}`;

const inside = (t: number | null, from: number | null, to: number | null) =>
  (from === null || (t !== null && t >= from)) && (to === null || (t !== null && t <= to));

function taskStateFor(run: StubRun, t: number, rnd: () => number): TaskState {
  if (run.state === 'success') return rnd() < 0.05 ? 'skipped' : 'success';
  if (run.state === 'failed') return t === 0 ? 'success' : t === 1 ? 'failed' : rnd() < 0.5 ? 'upstream_failed' : 'removed';
  if (run.state === 'queued') return rnd() < 0.5 ? null : 'scheduled';
  const r = rnd();
  if (t === 0) return 'success';
  if (r < 0.3) return 'running';
  if (r < 0.45) return 'queued';
  if (r < 0.55) return 'up_for_retry';
  if (r < 0.62) return 'up_for_reschedule';
  if (r < 0.7) return 'deferred';
  if (r < 0.74) return 'restarting';
  if (r < 0.87) return 'scheduled';
  return null;
}
