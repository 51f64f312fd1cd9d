import { checkCommentBody } from './comment/comment';
import { checkSyncInterval, newConnector, nextSyncAt, publicConfig, syncDelaySeconds } from './connector/connector';
import { providerError, retryAfterMs, transportFailure } from './errors';
import { checkCriticality, percentile, pipelineStatus } from './pipeline/pipeline';
import { durationOf } from './run/run';
import { checkSlug } from './space/space';
import { taskRunExternalId } from './task-run/task-run';

describe('domain rules', () => {
  it('accepts slugs of 2-63 lowercase letters, digits and dashes', () => {
    expect(checkSlug('ab')).toBe('ab');
    expect(checkSlug('a-1')).toBe('a-1');
    expect(checkSlug('0'.repeat(63))).toHaveLength(63);
    for (const bad of ['a', '-ab', 'Ab', 'a_b', 'a b', '0'.repeat(64), '']) expect(() => checkSlug(bad)).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });

  it('knows four criticalities and null', () => {
    expect(['low', 'medium', 'high', 'critical', null].map(checkCriticality)).toEqual(['low', 'medium', 'high', 'critical', null]);
    expect(() => checkCriticality('HIGH')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('keeps comment bodies to 1-10,000 characters', () => {
    expect(checkCommentBody(' a ')).toBe(' a ');
    expect(() => checkCommentBody('\n\t ')).toThrow();
    expect(() => checkCommentBody('a'.repeat(10_001))).toThrow();
  });

  it('derives pipeline status, paused first', () => {
    expect(pipelineStatus({ paused: true, lastRunStatus: 'failed' })).toBe('paused');
    expect(pipelineStatus({ paused: false, lastRunStatus: 'failed' })).toBe('error');
    expect(pipelineStatus({ paused: false, lastRunStatus: 'canceled' })).toBe('active');
    expect(pipelineStatus({ paused: false, lastRunStatus: null })).toBe('active');
  });

  it('interpolates percentiles as Postgres percentile_cont does', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 95)).toBe(20);
    expect(percentile([10, 20], 50)).toBe(15);
  });

  it('takes a duration from the provider, else from start and end', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(durationOf({ durationSeconds: 3, startedAt: null, finishedAt: null })).toBe(3);
    expect(durationOf({ durationSeconds: null, startedAt: at, finishedAt: new Date(at.getTime() + 1500) })).toBe(1.5);
    expect(durationOf({ durationSeconds: null, startedAt: at, finishedAt: null })).toBeNull();
  });

  it('names mapped task instances by index', () => {
    expect(taskRunExternalId('load', -1)).toBe('load');
    expect(taskRunExternalId('load', 3)).toBe('load[3]');
  });

  it('never shows connector secrets, only whether they are set', () => {
    expect(publicConfig({ base_url: 'u', password: 'p', token: '' })).toEqual({ base_url: 'u', password_set: true, token_set: false });
  });

  it('maps orchestrator statuses to kinds, keeping status and message', () => {
    const cases: [number, string, string][] = [
      [400, 'invalid', 'PROVIDER_REJECTED'],
      [422, 'invalid', 'PROVIDER_REJECTED'],
      [401, 'bad_gateway', 'PROVIDER_AUTH_FAILED'],
      [403, 'bad_gateway', 'PROVIDER_AUTH_FAILED'],
      [404, 'not_found', 'PROVIDER_NOT_FOUND'],
      [409, 'conflict', 'PROVIDER_CONFLICT'],
      [410, 'not_found', 'PROVIDER_NOT_FOUND'],
      [413, 'invalid', 'PROVIDER_REJECTED'],
      [429, 'rate_limited', 'PROVIDER_RATE_LIMITED'],
      [405, 'bad_gateway', 'PROVIDER_ERROR'],
      [418, 'bad_gateway', 'PROVIDER_ERROR'],
      [302, 'bad_gateway', 'PROVIDER_ERROR'],
      [500, 'bad_gateway', 'PROVIDER_ERROR'],
      [502, 'unavailable', 'PROVIDER_UNAVAILABLE'],
      [503, 'unavailable', 'PROVIDER_UNAVAILABLE'],
      [504, 'timeout', 'PROVIDER_TIMEOUT'],
    ];
    for (const [status, kind, code] of cases) {
      expect(providerError('airflow', status, 'm')).toMatchObject({ kind, code, provider: { name: 'airflow', status, message: 'm' } });
    }
  });
});

describe('connector sync schedule', () => {
  const at = new Date('2026-03-01T00:00:00Z');
  it('defaults the interval by type, due at once when there is one', () => {
    expect(newConnector({ id: 'a', spaceId: 's', name: 'a', type: 'airflow', config: {} }, at)).toMatchObject({
      syncIntervalSeconds: 300,
      nextSyncAt: at,
      syncFailures: 0,
    });
    expect(newConnector({ id: 'm', spaceId: 's', name: 'm', type: 'mock', config: {} }, at)).toMatchObject({ syncIntervalSeconds: null, nextSyncAt: null });
    expect(newConnector({ id: 'x', spaceId: 's', name: 'x', type: 'airflow', config: {}, syncIntervalSeconds: null }, at).nextSyncAt).toBeNull();
  });

  it('refuses an interval under 10 s or not an integer, naming sync_interval_seconds', () => {
    expect(checkSyncInterval(10)).toBe(10);
    expect(checkSyncInterval(null)).toBeNull();
    for (const bad of [9, 0, -5, 10.5, 31 * 24 * 3600 + 1]) {
      expect(() => checkSyncInterval(bad)).toThrow(
        expect.objectContaining({ kind: 'invalid', details: [expect.objectContaining({ field: 'sync_interval_seconds' })] }),
      );
    }
  });

  it('doubles the wait per failure in a row, at most an hour unless the interval is longer', () => {
    expect([0, 1, 2, 3, 4, 40].map((f) => syncDelaySeconds(600, f))).toEqual([600, 1200, 2400, 3600, 3600, 3600]);
    expect(syncDelaySeconds(7200, 3)).toBe(7200);
    expect(nextSyncAt(null, 0, at)).toBeNull();
    expect(nextSyncAt(60, 1, at)).toEqual(new Date('2026-03-01T00:02:00Z'));
  });
});

describe('an orchestrator that did not answer', () => {
  it('tells a timeout and a refused connection from any other failure to reach it', () => {
    expect(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT'].map(transportFailure)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(transportFailure('ECONNREFUSED')).toBe('refused');
    expect([transportFailure('ECONNRESET'), transportFailure('ENOTFOUND'), transportFailure(undefined)]).toEqual(['unreachable', 'unreachable', 'unreachable']);
  });

  it('reads Retry-After as seconds or as an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-11-28T00:00:00Z');
    expect(retryAfterMs(' 7 ', now)).toBe(7000);
    expect(retryAfterMs('Sat, 28 Nov 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Fri, 27 Nov 2026 00:00:00 GMT', now)).toBe(0);
    expect([retryAfterMs(undefined, now), retryAfterMs('', now), retryAfterMs('soon', now), retryAfterMs(['1'], now)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
