import { SingleBar } from 'cli-progress';
import { isFinished, type RunDetail } from '../client';
import { progressLine, rows } from './format';

/** Shows a waited run's progress: a live bar on a terminal, one plain line per change when piped. */
export interface ProgressView {
  update(run: RunDetail): void;
  /** Ends the view (the bar stays on screen, complete or where the run stopped). */
  stop(): void;
}

/** One line per change while the run has not finished (its last line says how it ended), for logs and pipes. */
export function plainProgress(write: (line: string) => void): ProgressView {
  let last = '';
  return {
    update(run) {
      if (isFinished(run.status)) return;
      const line = progressLine(run);
      if (line !== last) write(line);
      last = line;
    },
    stop() {},
  };
}

/** A bar of steps done, with the stage, the step and the rows so far, redrawn in place. */
export function barProgress(stream: NodeJS.WriteStream): ProgressView {
  const bar = new SingleBar({
    stream,
    format: '{bar} {value}/{total} steps · {status} · {stage} · {rows} rows',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    fps: 10,
  });
  let started = false;
  const payload = (run: RunDetail) => ({
    status: run.status,
    stage: run.progress?.step ? `${run.progress.stage} ${run.progress.step}` : '-',
    rows: rows(run.progress?.rows_processed ?? 0),
  });
  return {
    update(run) {
      const done = run.progress?.steps_done ?? 0;
      const total = run.progress?.steps_total ?? 1;
      if (!started) bar.start(total, done, payload(run));
      else bar.update(done, payload(run));
      started = true;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
