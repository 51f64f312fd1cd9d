import type { Pipeline } from '../../pipeline/pipeline';
import type { PipelineRepository } from '../../ports/repositories';
import type { Logger } from '../../ports/system';
import type { CronSchedules } from '../cron';
import type { PeriodicTask } from '../worker';

/**
 * Keeps the `nextRunAt` of managed pipelines current, on every poll of every worker: each due one
 * (not paused, `nextRunAt <= now`) moves to its schedule's next time after now by compare-and-set,
 * so one process moves it per tick, and that process queues one run (`run_type` scheduled). Fire
 * times missed while no worker ran make one run, never a burst.
 */
export class ManagedScheduleTask implements PeriodicTask {
  readonly name = 'managed-schedules';

  constructor(
    private readonly pipelines: PipelineRepository,
    private readonly cron: CronSchedules,
    private readonly logger: Logger,
    /** Queues the run of a due tick; without it the schedules only move (no engine). */
    private readonly start?: (pipeline: Pipeline, tick: Date) => Promise<unknown>,
    private readonly batch = 100,
  ) {}

  async run(now: Date): Promise<void> {
    for (const p of await this.pipelines.dueManaged(now, this.batch)) {
      const due = p.nextRunAt;
      if (!due) continue;
      let next: Date | null = null;
      try {
        next = p.schedule === null ? null : this.cron.next(p.schedule, now);
      } catch (err) {
        // A schedule stored before a rule changed: stop it rather than poll it every tick.
        this.logger.warn('managed pipeline schedule does not parse; it stops', { pipelineId: p.id, error: err instanceof Error ? err.message : String(err) });
      }
      if (!(await this.pipelines.advanceSchedule(p.spaceId, p.id, due, next))) continue;
      try {
        await this.start?.(p, due);
      } catch (err) {
        // A version that can no longer run here (its warehouse connector gone): the tick is lost, the schedule goes on.
        this.logger.warn('a scheduled run could not be queued', { pipelineId: p.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
