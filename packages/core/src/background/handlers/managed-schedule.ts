import type { PipelineRepository } from '../../ports/repositories';
import type { Logger } from '../../ports/system';
import type { CronSchedules } from '../cron';
import type { PeriodicTask } from '../worker';

/**
 * Keeps the `nextRunAt` of managed pipelines current, on every poll of every worker: each due one
 * (not paused, `nextRunAt <= now`) moves to its schedule's next time after now by compare-and-set,
 * so one process moves it per tick. Fire times missed while no worker ran are skipped, never
 * replayed. Starting the run itself belongs to the engines; this task starts nothing.
 */
export class ManagedScheduleTask implements PeriodicTask {
  readonly name = 'managed-schedules';

  constructor(
    private readonly pipelines: PipelineRepository,
    private readonly cron: CronSchedules,
    private readonly logger: Logger,
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
      await this.pipelines.advanceSchedule(p.spaceId, p.id, due, next);
    }
  }
}
