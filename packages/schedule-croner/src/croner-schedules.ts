import { type CronSchedules, invalid } from '@signalbox/core';
import { Cron } from 'croner';

/**
 * Cron schedules by croner: five fields, UTC. Day of month and day of week combine as in classic
 * cron (either may match when both are restricted). A pattern is parsed once and kept.
 */
export class CronerSchedules implements CronSchedules {
  private readonly parsed = new Map<string, Cron>();

  check(expression: string, field = 'cron'): void {
    this.parse(expression, field);
  }

  next(expression: string, after: Date): Date | null {
    return this.parse(expression, 'cron').nextRun(after);
  }

  private parse(expression: string, field: string): Cron {
    const known = this.parsed.get(expression);
    if (known) return known;
    // croner also reads 6 and 7 fields (seconds, years); the product's schedules are classic 5-field cron.
    if (expression.trim().split(/\s+/).length !== 5) throw invalid(field, 'must be a cron expression of 5 fields: minute hour day-of-month month day-of-week');
    let cron: Cron;
    try {
      cron = new Cron(expression, { timezone: 'UTC', mode: '5-part', paused: true });
    } catch (err) {
      throw invalid(field, `is not a valid cron expression: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.parsed.size >= 1000) this.parsed.clear();
    this.parsed.set(expression, cron);
    return cron;
  }
}
