import type { PipelineView } from './pipeline';
import { fieldsOf, groupOf, type PipelineProjection, pick, project, readsGroup } from './projection';
import { summaryOf } from './summary';

const T = new Date('2026-11-01T10:00:00.000Z');

const view = (managed: boolean): PipelineView => ({
  pipeline: {
    id: 'p1',
    spaceId: 's1',
    origin: managed ? 'managed' : 'synced',
    connectorId: null,
    provider: managed ? 'managed' : 'airflow',
    managed: managed
      ? {
          engine: 'embedded',
          warehouse: null,
          maxActiveRuns: 1,
          timeoutSeconds: null,
          currentVersion: { id: 'v1', number: 2, version: '1.1', specHash: 'h', createdAt: T, createdBy: null, message: null },
        }
      : null,
    externalId: 'daily',
    name: 'daily',
    description: null,
    owner: 'data',
    tags: ['a'],
    schedule: null,
    paused: false,
    nextRunAt: null,
    teamId: null,
    criticality: null,
    lastRunStatus: 'failed',
    lastRunAt: T,
    removedAt: null,
    createdAt: T,
    updatedAt: T,
  },
  summary: summaryOf({ runs: 3, succeeded: 1, failed: 2, avgDurationSeconds: 4, p95DurationSeconds: 9, lastFailureAt: T }, 7),
  watched: true,
});

const WIRE: PipelineProjection = {
  id: 'id',
  name: 'name',
  status: 'status',
  version: { id: 'currentVersion.id', number: 'currentVersion.number' },
  summary: { runs: 'summary.runs', rate: 'summary.successRate', last_failure_at: 'summary.lastFailureAt' },
};

describe('pipeline projections', () => {
  it('renders fields, nested objects, and null for a group the view lacks', () => {
    expect(project(WIRE, view(true))).toEqual({
      id: 'p1',
      name: 'daily',
      status: 'error',
      version: { id: 'v1', number: 2 },
      summary: { runs: 3, rate: 1 / 3, last_failure_at: '2026-11-01T10:00:00.000Z' },
    });
    expect(project(WIRE, view(false)).version).toBeNull();
  });

  it('refuses a nested object that mixes groups or nests again', () => {
    expect(() => groupOf({ a: 'summary.runs', b: 'currentVersion.id' })).toThrow(/one group/);
    expect(() => groupOf({ a: { b: 'summary.runs' } })).toThrow(/fields only/);
    expect(groupOf({ a: 'summary.runs' })).toBe('summary');
  });

  it('names the fields it reads, nested ones included, and whether it reads a group', () => {
    expect(fieldsOf(WIRE).sort()).toEqual(
      ['currentVersion.id', 'currentVersion.number', 'id', 'name', 'status', 'summary.lastFailureAt', 'summary.runs', 'summary.successRate'].sort(),
    );
    expect(readsGroup(WIRE, 'summary')).toBe(true);
    expect(readsGroup({ id: 'id', v: { id: 'currentVersion.id' } }, 'summary')).toBe(false);
    expect(readsGroup({ id: 'id', v: { id: 'currentVersion.id' } }, 'currentVersion')).toBe(true);
  });

  it('cuts to some top-level keys in its own order, and refuses a key it lacks', () => {
    const cut = pick(WIRE, ['summary', 'id', 'id']);
    expect(Object.keys(cut)).toEqual(['id', 'summary']);
    expect(cut.summary).toBe(WIRE.summary);
    expect(readsGroup(pick(WIRE, ['id', 'version']), 'summary')).toBe(false);
    expect(() => pick(WIRE, ['id', 'nope'])).toThrow(/no key 'nope'/);
    expect(() => pick(WIRE, ['toString'])).toThrow(/no key/);
  });
});
