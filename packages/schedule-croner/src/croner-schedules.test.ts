import { isDomainError } from '@signalbox/core';
import { CronerSchedules } from './croner-schedules';

const cron = new CronerSchedules();
const next = (expression: string, after: string) => cron.next(expression, new Date(after))?.toISOString() ?? null;

describe('CronerSchedules', () => {
  it.each([
    ['*/15 * * * *', '2026-03-01T10:07:30Z', '2026-03-01T10:15:00.000Z'],
    ['0 2 * * *', '2026-03-01T02:00:00Z', '2026-03-02T02:00:00.000Z'], // strictly after
    ['0 2 * * *', '2026-03-01T01:59:59Z', '2026-03-01T02:00:00.000Z'],
    ['30 6 * * 1', '2026-03-01T00:00:00Z', '2026-03-02T06:30:00.000Z'], // 2026-03-01 is a Sunday
    ['0 0 1 * *', '2026-01-31T12:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'], // the next leap day
    ['0 9 1 * 1', '2026-03-01T10:00:00Z', '2026-03-02T09:00:00.000Z'], // day of month OR day of week
    ['0 12 * * *', '2026-03-29T11:00:00Z', '2026-03-29T12:00:00.000Z'], // UTC: no daylight saving shift
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it.each([
    ['not cron', /5 fields/],
    ['* * * *', /5 fields/],
    ['0 * * * * *', /5 fields/], // seconds: not a 5-field cron
    ['61 * * * *', /not a valid cron expression/],
    ['* 24 * * *', /not a valid cron expression/],
    ['* * 0 * *', /not a valid cron expression/],
    ['* * * 13 *', /not a valid cron expression/],
    ['* * * * funday', /not a valid cron expression/],
  ])('refuses %s as invalid naming the field', (expression, reason) => {
    let thrown: unknown;
    try {
      cron.check(expression, 'schedule');
    } catch (err) {
      thrown = err;
    }
    expect(isDomainError(thrown) && thrown.kind).toBe('invalid');
    expect(isDomainError(thrown) && thrown.details).toEqual([{ field: 'schedule', reason: expect.stringMatching(reason) }]);
    expect(() => cron.next(expression, new Date())).toThrow();
  });

  it('accepts names and ranges as cron does', () => {
    expect(() => cron.check('0 8-18/2 * JAN-MAR MON-FRI')).not.toThrow();
    expect(next('0 8-18/2 * JAN-MAR MON-FRI', '2026-03-06T18:30:00Z')).toBe('2026-03-09T08:00:00.000Z');
  });
});
