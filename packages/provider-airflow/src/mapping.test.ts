import { TASK_STATES } from '@signalbox/airflow-stub';
import { providerStatusError, RUN_STATUSES, RUN_TYPES, TASK_RUN_STATUSES } from '@signalbox/core';
import { airflowMessage, kindOfStatus } from './airflow-http';
import { scheduleV1 } from './airflow-v1';
import { scheduleV2 } from './airflow-v2';
import { runStatusOf, runTypeOf, taskStatusOf } from './mapping';

describe('enum mapping', () => {
  it('maps every run state and run type of both versions', () => {
    expect(['queued', 'running', 'success', 'failed'].map(runStatusOf)).toEqual(['queued', 'running', 'success', 'failed']);
    expect(runStatusOf('something_new')).toBe('running');
    expect(['scheduled', 'manual', 'backfill', 'dataset_triggered', 'asset_triggered'].map(runTypeOf)).toEqual([
      'scheduled',
      'manual',
      'backfill',
      'event',
      'event',
    ]);
    expect(runTypeOf(undefined)).toBe('manual');
    for (const s of ['queued', 'running', 'success', 'failed', 'x']) expect(RUN_STATUSES).toContain(runStatusOf(s));
    for (const t of ['scheduled', 'manual', 'backfill', 'dataset_triggered', 'asset_triggered', 'x']) expect(RUN_TYPES).toContain(runTypeOf(t));
  });

  it('maps every task state of both versions', () => {
    const expected: Record<string, string> = {
      null: 'pending',
      none: 'pending',
      scheduled: 'pending',
      queued: 'queued',
      running: 'running',
      success: 'success',
      failed: 'failed',
      skipped: 'skipped',
      upstream_failed: 'upstream_failed',
      up_for_retry: 'retrying',
      up_for_reschedule: 'running',
      deferred: 'running',
      restarting: 'retrying',
      removed: 'removed',
    };
    expect(Object.fromEntries(TASK_STATES.map((s) => [String(s), taskStatusOf(s)]))).toEqual(expected);
    expect(TASK_RUN_STATUSES).toContain(taskStatusOf('brand_new_state'));
  });
});

describe('schedules', () => {
  it('reads v1 schedule_interval objects and falls back to the timetable description', () => {
    expect(scheduleV1({ schedule_interval: { __type: 'CronExpression', value: '0 2 * * *' } })).toBe('0 2 * * *');
    expect(scheduleV1({ schedule_interval: { __type: 'TimeDelta', days: 1, seconds: 3600, microseconds: 0 } })).toBe('1 day, 1:00:00');
    expect(scheduleV1({ schedule_interval: { __type: 'TimeDelta', days: 0, seconds: 900, microseconds: 0 } })).toBe('0:15:00');
    expect(scheduleV1({ schedule_interval: { __type: 'RelativeDelta', months: 1, years: 0 }, timetable_description: '' })).toBe('relativedelta(months=+1)');
    expect(scheduleV1({ schedule_interval: null, timetable_description: 'Triggered by datasets' })).toBe('Triggered by datasets');
    expect(scheduleV1({ schedule_interval: null, timetable_description: null })).toBeNull();
  });

  it('reads v2 timetable_summary, where "None" means no schedule', () => {
    expect(scheduleV2({ timetable_summary: '@daily', timetable_description: 'At 00:00' })).toBe('@daily');
    expect(scheduleV2({ timetable_summary: 'None', timetable_description: 'Never, external triggers only' })).toBe('Never, external triggers only');
    expect(scheduleV2({ timetable_summary: null, timetable_description: null })).toBeNull();
  });
});

describe('error bodies and statuses', () => {
  it('keeps Airflow own words from v1 problem JSON, v2 detail and 422 lists', () => {
    expect(airflowMessage(404, JSON.stringify({ type: 'x', title: 'Not Found', status: 404, detail: "DAG 'a' not found" }))).toBe(
      "Not Found: DAG 'a' not found",
    );
    expect(airflowMessage(401, JSON.stringify({ type: 'x', title: 'Unauthorized', status: 401 }))).toBe('Unauthorized');
    expect(airflowMessage(409, JSON.stringify({ detail: 'run exists' }))).toBe('run exists');
    // Airflow 3.3's database error handler (a duplicate run id), as a real 3.3.2 answered it.
    expect(
      airflowMessage(
        409,
        JSON.stringify({ detail: { reason: 'Unique constraint violation', statement: 'hidden', orig_error: 'hidden', message: 'look for ID x' } }),
      ),
    ).toBe('Unique constraint violation: look for ID x');
    expect(
      airflowMessage(
        422,
        JSON.stringify({
          detail: [
            { loc: ['body', 'logical_date'], msg: 'Field required', type: 'missing' },
            { loc: ['query', 'limit'], msg: 'bad', type: 'x' },
          ],
        }),
      ),
    ).toBe('body.logical_date: Field required; query.limit: bad');
    expect(airflowMessage(400, JSON.stringify({ detail: { reason: 'x' } }))).toBe('x');
    expect(airflowMessage(400, JSON.stringify({ detail: { other: 'x' } }))).toBe('{"other":"x"}');
    expect(airflowMessage(502, '<html><body>Bad gateway</body></html>')).toBe('HTTP 502');
    expect(airflowMessage(500, 'x'.repeat(2000)).length).toBeLessThan(600);
  });

  it("gives each status the core's kind, with the call's own not-found and conflict codes", () => {
    for (let status = 100; status < 600; status++) expect(kindOfStatus(status)).toEqual(Object.values(providerStatusError(status)));
    const table = [401, 403, 404, 410, 409, 400, 422, 429, 405, 500, 502, 503, 504, 418].map(
      (s) => `${s}=${kindOfStatus(s, { notFoundCode: 'RUN_NOT_FOUND', conflictCode: 'RUN_EXISTS' }).join('/')}`,
    );
    expect(table).toEqual([
      '401=bad_gateway/PROVIDER_AUTH_FAILED',
      '403=bad_gateway/PROVIDER_AUTH_FAILED',
      '404=not_found/RUN_NOT_FOUND',
      '410=not_found/RUN_NOT_FOUND',
      '409=conflict/RUN_EXISTS',
      '400=invalid/PROVIDER_REJECTED',
      '422=invalid/PROVIDER_REJECTED',
      '429=rate_limited/PROVIDER_RATE_LIMITED',
      '405=bad_gateway/PROVIDER_ERROR',
      '500=bad_gateway/PROVIDER_ERROR',
      '502=unavailable/PROVIDER_UNAVAILABLE',
      '503=unavailable/PROVIDER_UNAVAILABLE',
      '504=timeout/PROVIDER_TIMEOUT',
      '418=bad_gateway/PROVIDER_ERROR',
    ]);
  });
});
