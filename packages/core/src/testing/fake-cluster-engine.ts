import type { Connector } from '../connector/connector';
import { conflict, DomainError, notFound } from '../errors';
import type { ClusterEngine, ClusterEngineFactory, EngineObservation, EnginePlan, EngineSubmission, ObservedStep } from '../ports/cluster-engine';

interface Workload {
  plan: EnginePlan;
  /** Steps started so far, in order; one more starts or ends at each look. */
  steps: ObservedStep[];
  status: EngineObservation['status'];
  stopped: string | null;
  looks: number;
}

/**
 * A cluster engine in memory: each `observe` moves a submitted run one beat on (a step starts, then
 * ends), so a test sees every state. A step named in `failing` fails; a step named in `holding`
 * runs until stopped. `down` makes every call fail as an unreachable engine does; `loseNextAnswer`
 * stores the next submission and then fails as a lost answer would.
 */
export class FakeClusterEngine implements ClusterEngine, ClusterEngineFactory {
  readonly workloads = new Map<string, Workload>();
  readonly submissions: EnginePlan[] = [];
  readonly stops: { name: string; message: string }[] = [];
  readonly failing = new Set<string>();
  readonly holding = new Set<string>();
  /** Rows each step reports when it succeeds. */
  rows = 5;
  down = false;
  loseNextAnswer = false;

  create(_connector: Connector): ClusterEngine {
    return this;
  }

  async submit(plan: EnginePlan): Promise<EngineSubmission> {
    this.reachable();
    const manifest = { name: plan.name, steps: plan.steps.map((s) => s.name) };
    if (plan.options.dry_run) return { manifest, metadata: { dry_run: true } };
    const existing = this.workloads.get(plan.name);
    if (existing) {
      if (existing.plan.runId !== plan.runId) throw conflict('WORKLOAD_EXISTS', `${plan.name} belongs to another run`);
      return { manifest, metadata: { adopted: true } };
    }
    this.submissions.push(plan);
    this.workloads.set(plan.name, { plan, steps: [], status: 'queued', stopped: null, looks: 0 });
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new DomainError('timeout', 'PROVIDER_TIMEOUT', 'no answer in time');
    }
    return { manifest, metadata: { uid: `uid-${plan.runId}` } };
  }

  async observe(name: string): Promise<EngineObservation> {
    this.reachable();
    const w = this.workloads.get(name);
    if (!w) throw notFound('workload', name);
    if (w.status === 'queued' || w.status === 'running') this.beat(w);
    return {
      status: w.status,
      nativeStatus: w.status,
      message: w.stopped ?? (w.status === 'failed' ? 'a step failed' : null),
      startedAt: new Date(0),
      finishedAt: w.status === 'success' || w.status === 'failed' ? new Date(1000) : null,
      steps: w.steps.map((s) => ({ ...s })),
      metadata: { looks: w.looks },
    };
  }

  async stop(name: string, message: string): Promise<void> {
    this.reachable();
    this.stops.push({ name, message });
    const w = this.workloads.get(name);
    if (!w) throw notFound('workload', name);
    if (w.status === 'success' || w.status === 'failed') return;
    w.stopped = message;
    for (const s of w.steps) if (s.status === 'running') Object.assign(s, { status: 'failed', message: 'stopped', finishedAt: new Date(900) });
    w.status = 'failed';
  }

  private beat(w: Workload): void {
    w.looks++;
    w.status = 'running';
    const current = w.steps.at(-1);
    if (current?.status === 'running') {
      if (this.holding.has(current.name)) return;
      const failed = this.failing.has(current.name);
      Object.assign(current, {
        status: failed ? 'failed' : 'success',
        nativeStatus: failed ? 'Failed' : 'Succeeded',
        finishedAt: new Date(500),
        message: failed ? 'exit code 1' : null,
        rows: failed ? null : this.rows,
      });
      if (failed) w.status = 'failed';
      else if (w.steps.length === w.plan.steps.length) w.status = 'success';
      return;
    }
    const next = w.plan.steps[w.steps.length];
    if (!next) {
      w.status = 'success';
      return;
    }
    w.steps.push({
      name: next.name,
      status: 'running',
      nativeStatus: 'Running',
      startedAt: new Date(100),
      finishedAt: null,
      message: null,
      rows: null,
      cursor: null,
    });
  }

  private reachable(): void {
    if (this.down) throw new DomainError('unavailable', 'PROVIDER_UNREACHABLE', 'the engine cannot be reached');
  }
}
