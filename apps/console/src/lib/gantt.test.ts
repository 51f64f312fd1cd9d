import { layoutTimeline } from './gantt';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 12, 0) + minutes * 60_000).toISOString();
const run = (id: string, start: number | null, end: number | null, status = 'success') => ({
  id,
  status,
  started_at: start === null ? null : at(start),
  finished_at: end === null ? null : at(end),
});

describe('the run history timeline', () => {
  it('has nothing to draw without a started run', () => {
    expect(layoutTimeline([], new Date())).toBeNull();
    expect(layoutTimeline([run('q', null, null, 'queued')], new Date())).toBeNull();
  });

  it('places each run from its start to its end, in time order, on the axis', () => {
    const t = layoutTimeline([run('b', 30, 40), run('a', 0, 10, 'failed')], new Date(at(60)));
    expect(t?.bars.map((b) => [b.id, b.status, b.lane])).toEqual([
      ['a', 'failed', 0],
      ['b', 'success', 0],
    ]);
    const [a, b] = t?.bars ?? [];
    // Equal durations, equal widths; b starts three of its widths after a.
    expect(a.width).toBeCloseTo(b.width, 10);
    expect(b.x - a.x).toBeCloseTo(3 * a.width, 10);
    // Inside the axis, with a little room either side.
    expect(a.x).toBeGreaterThan(0);
    expect(b.x + b.width).toBeLessThan(1);
  });

  it('puts overlapping runs on lanes of their own, and reuses a lane once it is free', () => {
    const t = layoutTimeline([run('a', 0, 30), run('b', 10, 20), run('c', 25, 50), run('d', 31, 35)], new Date(at(60)));
    expect(Object.fromEntries(t?.bars.map((b) => [b.id, b.lane]) ?? [])).toEqual({ a: 0, b: 1, c: 1, d: 0 });
    expect(t?.lanes).toBe(2);
  });

  it('draws a run still going on up to now', () => {
    const now = new Date(at(20));
    const t = layoutTimeline([run('done', 0, 10), run('open', 10, null, 'running')], now);
    const open = t?.bars.find((b) => b.id === 'open');
    expect(open).toMatchObject({ open: true, end: now });
    expect(open?.width).toBeCloseTo(t?.bars[0].width ?? 0, 10);
  });

  it('labels ticks at a round step inside the axis', () => {
    const t = layoutTimeline([run('a', 0, 60), run('b', 240, 300)], new Date(at(400)));
    const ticks = t?.ticks ?? [];
    expect(ticks.length).toBeGreaterThan(1);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const tick of ticks) {
      expect(tick.x).toBeGreaterThanOrEqual(0);
      expect(tick.x).toBeLessThanOrEqual(1);
      expect(tick.at.getTime() % (60 * 60_000)).toBe(0);
    }
    expect(ticks[0].label).toMatch(/^\d\d:00$/);
  });
});
