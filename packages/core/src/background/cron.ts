/**
 * Cron schedules: five fields (minute, hour, day of month, month, day of week), evaluated in UTC.
 * An adapter implements it with a cron library; the scheduler will fire managed pipelines by it.
 */
export interface CronSchedules {
  /** Throws invalid (`field`, with the parser's reason) when `expression` is not a 5-field cron. */
  check(expression: string, field?: string): void;
  /** The first fire time strictly after `after`, or null when it never fires again. Throws as `check`. */
  next(expression: string, after: Date): Date | null;
}
