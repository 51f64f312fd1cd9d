import type { StepOutcome, StepStatement, Warehouse, Warehouses, WarehouseTarget } from '../ports/warehouse';
import { WarehouseError } from '../ports/warehouse';
import type { StepPlan } from '../task-run/task-run';

/** What a fake step does when it runs: its rows and cursor, a failure, or a wait (until released, or forever). */
export interface FakeStepBehaviour {
  rows?: number;
  cursor?: string | null;
  fail?: WarehouseError;
  /** Resolves when the step may finish; a step whose gate never resolves runs until aborted. */
  gate?: Promise<void>;
}

/**
 * A warehouse that runs nothing: each step answers what the test said it does, keeps a record of
 * committed steps per run (as a real warehouse's ledger does), and honours its abort signal at once.
 * `calls` lists every execute, `plans` every plan, with the target each was for.
 */
export class FakeWarehouses implements Warehouses {
  readonly calls: { target: WarehouseTarget; step: StepStatement }[] = [];
  readonly plans: { target: WarehouseTarget; steps: StepStatement[] }[] = [];
  readonly behaviours = new Map<string, FakeStepBehaviour>();
  private readonly ledger = new Map<string, StepOutcome>();
  /** Set to refuse every statement, as an unreachable warehouse does. */
  unreachable = false;
  closed = false;

  /** How the step named `name` behaves from now on. */
  step(name: string, behaviour: FakeStepBehaviour): this {
    this.behaviours.set(name, behaviour);
    return this;
  }

  executed(step: string): StepStatement[] {
    return this.calls.filter((c) => c.step.step === step).map((c) => c.step);
  }

  of(target: WarehouseTarget): Warehouse {
    return {
      execute: (step, signal) => this.execute(target, step, signal),
      plan: (steps, signal) => this.plan(target, steps, signal),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async execute(target: WarehouseTarget, step: StepStatement, signal: AbortSignal): Promise<StepOutcome> {
    if (this.unreachable) throw new WarehouseError('WAREHOUSE_UNREACHABLE', 'cannot reach the warehouse at 127.0.0.1:1');
    const key = `${step.runId}\n${step.step}`;
    const committed = this.ledger.get(key);
    if (committed) return { ...committed, replayed: true };
    this.calls.push({ target, step });
    const behaviour = this.behaviours.get(step.step) ?? {};
    if (behaviour.gate) await abortable(behaviour.gate, signal);
    if (signal.aborted) throw signal.reason;
    if (behaviour.fail) throw behaviour.fail;
    const outcome = { rows: behaviour.rows ?? 1, cursor: step.cursorColumn === undefined ? null : (behaviour.cursor ?? null), replayed: false };
    this.ledger.set(key, outcome);
    return outcome;
  }

  private async plan(target: WarehouseTarget, steps: StepStatement[], signal: AbortSignal): Promise<StepPlan[]> {
    if (this.unreachable) throw new WarehouseError('WAREHOUSE_UNREACHABLE', 'cannot reach the warehouse at 127.0.0.1:1');
    if (signal.aborted) throw signal.reason;
    this.plans.push({ target, steps });
    for (const step of steps) {
      const fail = this.behaviours.get(step.step)?.fail;
      if (fail) throw fail;
    }
    return steps.map((s) => ({
      plan: [{ Plan: { 'Node Type': 'Result', 'Plan Rows': this.behaviours.get(s.step)?.rows ?? 1 } }],
      estimatedRows: this.behaviours.get(s.step)?.rows ?? 1,
    }));
  }
}

/** `promise`, or the abort reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A gate a test opens when it wants a waiting step to finish. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
