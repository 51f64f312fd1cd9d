import { Link } from 'react-router';
import { formatDuration, formatInstant } from '../lib/format';
import { layoutTimeline, type TimedRun } from '../lib/gantt';

const LANE = 22;
const AXIS = 22;
const WIDTH = 1000;

/** The run history on a time axis: a bar per run from its start to its end, coloured by status. */
export function Gantt({ runs, now, runHref }: { runs: TimedRun[]; now: Date; runHref: (id: string) => string }) {
  const timeline = layoutTimeline(runs, now);
  if (!timeline) return <div className="empty">No run has started in this range.</div>;
  const height = timeline.lanes * LANE + AXIS + 4;
  return (
    <svg className="gantt" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="run history timeline" preserveAspectRatio="none">
      {timeline.ticks.map((t) => (
        <g key={t.at.toISOString()} className="gantt-tick">
          <line x1={t.x * WIDTH} x2={t.x * WIDTH} y1={0} y2={height - AXIS} />
          <text x={t.x * WIDTH} y={height - 6} textAnchor="middle">
            {t.label}
          </text>
        </g>
      ))}
      {timeline.bars.map((b) => (
        <Link key={b.id} to={runHref(b.id)}>
          <rect
            className={`gantt-bar gantt-${b.status}${b.open ? ' gantt-open' : ''}`}
            data-run-id={b.id}
            x={b.x * WIDTH}
            y={b.lane * LANE + 3}
            width={Math.max(b.width * WIDTH, 3)}
            height={LANE - 6}
            rx={3}
          >
            <title>{`${b.status} · ${formatInstant(b.start.toISOString())} · ${b.open ? 'running' : formatDuration((b.end.getTime() - b.start.getTime()) / 1000)}`}</title>
          </rect>
        </Link>
      ))}
    </svg>
  );
}
