/**
 * The run history as a gantt timeline: each run a bar on a time axis from its start to its end
 * (to now while it runs), runs that overlap on lanes of their own, and the axis's ticks.
 */
export interface TimedRun {
  id: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Bar {
  id: string;
  status: string;
  /** Left edge and width as fractions of the axis (0 to 1). */
  x: number;
  width: number;
  lane: number;
  start: Date;
  end: Date;
  /** Still running: its bar ends at now. */
  open: boolean;
}

export interface Tick {
  at: Date;
  x: number;
  label: string;
}

export interface Timeline {
  from: Date;
  to: Date;
  bars: Bar[];
  lanes: number;
  ticks: Tick[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY];

/** Lays the runs out; runs that never started are not on the axis. `ticks` is about how many ticks to aim for. */
export function layoutTimeline(runs: TimedRun[], now: Date, ticks = 6): Timeline | null {
  const spans = runs
    .filter((r) => r.started_at !== null)
    .map((r) => {
      const start = new Date(r.started_at as string);
      const open = r.finished_at === null;
      const end = open ? now : new Date(r.finished_at as string);
      return { run: r, start, end: end < start ? start : end, open };
    })
    .sort((a, b) => a.start.getTime() - b.start.getTime() || a.run.id.localeCompare(b.run.id));
  if (spans.length === 0) return null;

  const first = spans[0].start.getTime();
  const last = Math.max(...spans.map((s) => s.end.getTime()));
  // A little room either side, and never an empty axis.
  const pad = Math.max((last - first) * 0.02, 30_000);
  const from = first - pad;
  const to = last + pad;
  const span = to - from;

  // Greedy lanes: each run goes on the first lane free at its start.
  const laneEnds: number[] = [];
  const bars = spans.map(({ run, start, end, open }) => {
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start.getTime());
    if (lane === -1) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = end.getTime();
    return { id: run.id, status: run.status, x: (start.getTime() - from) / span, width: (end.getTime() - start.getTime()) / span, lane, start, end, open };
  });

  const step = STEPS.find((s) => span / s <= ticks) ?? STEPS[STEPS.length - 1];
  const axis: Tick[] = [];
  for (let at = Math.ceil(from / step) * step; at <= to; at += step) {
    axis.push({ at: new Date(at), x: (at - from) / span, label: tickLabel(new Date(at), step) });
  }
  return { from: new Date(from), to: new Date(to), bars, lanes: laneEnds.length, ticks: axis };
}

/** A tick's label in UTC: the day for day steps, else the time (with the day at midnight). */
function tickLabel(at: Date, step: number): string {
  const iso = at.toISOString();
  const day = iso.slice(5, 10);
  const time = iso.slice(11, 16);
  if (step >= DAY || time === '00:00') return day;
  return time;
}
