import type { PipelineView } from './pipeline';
import { fieldsOf, groupOf, isRowField, type PipelineProjection, pick, project, readsGroup, splitRendering } from './projection';
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

  it('renders in two halves, the row parts kept apart from the live fields, exactly as a whole', () => {
    const mixed: PipelineProjection = { watched: 'watched', ...WIRE, paused: 'paused', days: 'summary.days', owner: 'owner' };
    for (const projection of [WIRE, mixed, pick(WIRE, ['id', 'name']), pick(WIRE, ['summary']), {}]) {
      for (const v of [view(true), view(false)]) {
        const split = splitRendering(projection);
        expect(split.join(split.rowParts(v), v)).toBe(JSON.stringify(project(projection, v)));
      }
    }
    const split = splitRendering(mixed);
    // The row parts hold row fields only: rendered for another reader's summary, they still fit.
    expect(split.rowParts(view(true))).toEqual([
      '"id":"p1","name":"daily","status":"error","version":{"id":"v1","number":2}',
      '"paused":false',
      '"owner":"data"',
    ]);
    const other = {
      summary: summaryOf({ runs: 0, succeeded: 0, failed: 0, avgDurationSeconds: null, p95DurationSeconds: null, lastFailureAt: null }, 30),
      watched: false,
    };
    expect(JSON.parse(split.join(split.rowParts(view(true)), other))).toEqual(project(mixed, { ...view(true), ...other }));
    expect([split.row, splitRendering(pick(WIRE, ['summary'])).row]).toEqual([true, false]);
    expect(splitRendering(mixed)).toBe(split);
    expect(['name', 'currentVersion.id', 'watched', 'summary.runs'].map((f) => isRowField(f as never))).toEqual([true, true, false, false]);
  });
});
