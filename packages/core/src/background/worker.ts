import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { Job, JobQueue } from './job-queue';

/** Why a running job's signal was aborted. */
export type AbortReason = 'shutdown' | 'lease-lost';

/**
 * Runs one job. It should stop soon after `signal` aborts (shutdown after the grace period, or the
 * job's lease taken over); the worker then releases the job (shutdown) or leaves it to its new
 * holder. A throw is a failed attempt. Resolving `{ retryAt }` puts the job back for then.
 */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<undefined | { retryAt: Date }>;

/** Work every worker does on each poll, before claiming jobs; it must be safe to run in every process at once. */
export interface PeriodicTask {
  name: string;
  run(now: Date): Promise<void>;
}

export interface WorkerOptions {
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** How often the worker looks for due work. */
  pollMs: number;
  /** A job's lease: heartbeated every quarter of it; an unbeaten lease lets another worker take the job. */
  leaseMs: number;
  /** On stop: how long running jobs may finish before they are aborted and released. */
  graceMs: number;
  /** A job whose handler threw is tried again after this long, up to `maxAttempts`. */
  retryMs: number;
  maxAttempts: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  concurrency: 4,
  pollMs: 1000,
  leaseMs: 2 * 60_000,
  graceMs: 25_000,
  retryMs: 30_000,
  maxAttempts: 3,
};

interface Running {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
  lost: boolean;
}

/**
 * The background worker of one process: polls the queue, runs claimed jobs by name with bounded
 * concurrency, heartbeats their leases, and on `stop` stops claiming, lets running jobs finish for
 * the grace period, then aborts and releases what is left so another process can take it at once.
 */
export class Worker {
  private readonly running = new Map<string, Running>();
  private readonly options: WorkerOptions;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private claims = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Record<string, JobHandler>,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    options: Partial<WorkerOptions> = {},
    private readonly tasks: PeriodicTask[] = [],
  ) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options };
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /** Starts polling and heartbeating on timers. */
  start(): void {
    if (this.stopping || this.pollTimer) return;
    const loop = () => {
      this.pollTimer = setTimeout(() => {
        void this.poll().finally(() => {
          if (!this.stopping) loop();
        });
      }, this.options.pollMs);
    };
    void this.poll().finally(() => {
      if (!this.stopping) loop();
    });
    this.beatTimer = setInterval(() => void this.heartbeat(), Math.max(50, this.options.leaseMs / 4));
  }

  /**
   * One round: runs the periodic tasks, then claims as many due jobs as there are free slots and
   * starts them. Resolves once they are started (not finished). Never rejects: failures are logged.
   */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Resolves when no job runs (tests and the demo's first sync). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Refreshes the lease of every running job; a job whose lease was taken over is aborted. */
  async heartbeat(): Promise<void> {
    const until = new Date(this.clock.now().getTime() + this.options.leaseMs);
    await Promise.all(
      [...this.running.values()].map(async (r) => {
        if (r.lost) return;
        try {
          if (await this.queue.heartbeat(r.job.id, r.job.leaseToken!, until)) return;
          r.lost = true;
          this.logger.warn('job lease lost: another worker took it over', { job: r.job.id, name: r.job.name });
          r.controller.abort('lease-lost' satisfies AbortReason);
        } catch (err) {
          this.logger.warn('job heartbeat failed', { job: r.job.id, error: describe(err) });
        }
      }),
    );
  }

  /**
   * Stops claiming, waits up to the grace period for running jobs, then aborts the rest and
   * releases their leases. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.pollTimer);
      await this.polling;
      const deadline = Date.now() + this.options.graceMs;
      // The last third of the grace (at most 5 s) is left for aborted jobs to reach a safe point
      // (a sync: the end of its current page), record that they stopped, and be released.
      const abortAt = deadline - Math.min(5000, this.options.graceMs / 3);
      await waitFor(this.idle(), abortAt - Date.now());
      if (this.running.size > 0) {
        this.logger.warn('grace period over: aborting and releasing running jobs', { jobs: this.running.size });
        for (const r of this.running.values()) r.controller.abort('shutdown' satisfies AbortReason);
        await waitFor(this.idle(), deadline - Date.now());
        // Jobs whose handlers ignored the abort are released anyway: their next holder fences them out.
        await Promise.all([...this.running.values()].map((r) => this.settle(r, () => this.queue.release(r.job.id, r.job.leaseToken!))));
      }
      clearInterval(this.beatTimer);
    })();
    return this.stopping;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopping) return;
    for (const task of this.tasks) {
      try {
        await task.run(this.clock.now());
      } catch (err) {
        this.logger.error('periodic task failed', { task: task.name, error: describe(err) });
      }
    }
    const free = this.options.concurrency - this.running.size;
    if (free <= 0 || this.stopping) return;
    const now = this.clock.now();
    const token = `${this.ids.id()}:${++this.claims}`;
    let jobs: Job[];
    try {
      jobs = await this.queue.claim(Object.keys(this.handlers), token, now, new Date(now.getTime() + this.options.leaseMs), free);
    } catch (err) {
      this.logger.error('could not claim jobs', { error: describe(err) });
      return;
    }
    for (const job of jobs) this.launch(job);
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const entry: Running = { job, controller, lost: false, done: Promise.resolve() };
    entry.done = this.execute(entry).finally(() => this.running.delete(job.id));
    this.running.set(job.id, entry);
  }

  private async execute(r: Running): Promise<void> {
    const { job, controller } = r;
    const token = job.leaseToken!;
    let outcome: undefined | { retryAt: Date };
    try {
      outcome = await this.handlers[job.name](job, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) return this.afterAbort(r);
      const error = describe(err);
      const retry = job.attempts < this.options.maxAttempts;
      this.logger.warn('job failed', { job: job.id, name: job.name, attempt: job.attempts, error, retry });
      const retryAt = retry ? new Date(this.clock.now().getTime() + this.options.retryMs) : null;
      return this.settle(r, () => this.queue.fail(job.id, token, error, retryAt));
    }
    if (controller.signal.aborted) return this.afterAbort(r);
    if (outcome) return this.settle(r, () => this.queue.fail(job.id, token, 'deferred by its handler', outcome.retryAt));
    return this.settle(r, () => this.queue.complete(job.id, token));
  }

  private afterAbort(r: Running): Promise<void> {
    if (r.lost) return Promise.resolve();
    return this.settle(r, () => this.queue.release(r.job.id, r.job.leaseToken!));
  }

  /** Ends this worker's hold on a job once; a refusal means another worker holds it now. */
  private async settle(r: Running, write: () => Promise<boolean>): Promise<void> {
    if (r.lost) return;
    r.lost = true;
    try {
      if (!(await write())) this.logger.warn('job was taken over before it ended here', { job: r.job.id, name: r.job.name });
    } catch (err) {
      this.logger.error('could not end a job', { job: r.job.id, error: describe(err) });
    }
  }
}

const waitFor = (p: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
