import type { NamedPipeline, PipelineRun, RunDetail, Sync, Validation } from '../client';
import type { ErrorDetail } from '../errors';

/** Plain-text renderings of the API's answers, for people; `--json` prints the answers themselves. */

const count = new Intl.NumberFormat('en-US');

export const rows = (n: number | null | undefined) => (n === null || n === undefined ? '-' : count.format(n));

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Columns padded to their widest cell. */
export function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

export function pipelinesTable(items: NamedPipeline[]): string {
  return table(
    ['NAME', 'VERSION', 'STATUS', 'SCHEDULE', 'LAST RUN', 'STARTED', 'DURATION', 'ROWS'],
    items.map((p) => [
      p.name,
      p.version ?? '-',
      p.status,
      p.schedule ?? '-',
      p.last_run?.status ?? '-',
      p.last_run?.started_at ?? '-',
      duration(p.last_run?.duration_ms),
      rows(p.last_run?.rows_loaded),
    ]),
  );
}

export function pipelineText(p: NamedPipeline): string {
  const last = p.last_run;
  return [
    `name:        ${p.name}`,
    `version:     ${p.version ?? '-'}`,
    `status:      ${p.status}`,
    `schedule:    ${p.schedule ?? '-'}`,
    `next run at: ${p.next_run_at ?? '-'}`,
    `last run:    ${last ? `${last.status} ${last.id} started ${last.started_at ?? '-'}, ${duration(last.duration_ms)}, ${rows(last.rows_loaded)} rows loaded` : '-'}`,
  ].join('\n');
}

export function runsTable(items: PipelineRun[]): string {
  return table(
    ['ID', 'STATUS', 'STAGE', 'STARTED', 'DURATION', 'ROWS'],
    items.map((r) => [r.id, r.status, r.progress.stage, r.started_at ?? '-', duration(r.duration_ms), rows(r.rows_loaded)]),
  );
}

/** One line of a run's progress: `running · transform user_activity · step 2/3 · 1,000 rows`. */
export function progressLine(r: RunDetail): string {
  const p = r.progress;
  if (!p) return r.status;
  if (r.status === 'queued') return `queued · ${p.steps_total} steps`;
  return [
    r.status,
    `${p.stage}${p.step ? ` ${p.step}` : ''}`,
    `step ${Math.min(p.steps_done + 1, p.steps_total)}/${p.steps_total}`,
    `${rows(p.rows_processed)} rows`,
  ].join(' · ');
}

/** The last line of a waited run: its final `status`, and what it did or why it failed. */
export function finalLine(r: RunDetail): string {
  const parts = [`status: ${r.status}`];
  if (r.progress) parts.push(`${r.progress.steps_done}/${r.progress.steps_total} steps`);
  if (r.rows_loaded !== null) parts.push(`${rows(r.rows_loaded)} rows loaded`);
  parts.push(duration(r.duration_ms));
  if (r.error) parts.push(`${r.error.code}${r.error.step ? ` in step ${r.error.step}` : ''}: ${r.error.message}`);
  return parts.join(' · ');
}

export function syncLine(s: Sync): string {
  const c = s.counts;
  const what = `${c.pipelines} pipelines, ${c.runs} runs, ${c.task_runs} task runs${c.removed_pipelines ? `, ${c.removed_pipelines} removed` : ''}`;
  return `status: ${s.status} · ${what}${s.error ? ` · ${s.error}` : ''}`;
}

/** `file:line:column: reason (field)`, as compilers print, so editors can jump to it. */
export function detailLine(d: ErrorDetail, file?: string): string {
  const where = d.line !== undefined ? `${file ?? 'line'}:${d.line}${d.column !== undefined ? `:${d.column}` : ''}: ` : file ? `${file}: ` : '';
  const query = d.query_line !== undefined ? ` (query line ${d.query_line}${d.query_column !== undefined ? `, column ${d.query_column}` : ''})` : '';
  return `${where}${d.reason}${d.field ? ` [${d.field}]` : ''}${query}`;
}

export function validationText(v: Validation, file: string): string {
  const lines = [...v.errors.map((d) => `error: ${detailLine(d, file)}`), ...v.warnings.map((d) => `warning: ${detailLine(d, file)}`)];
  if (v.valid) lines.push(`valid: ${v.steps.length} steps: ${v.steps.map((s) => s.name).join(' → ')}`);
  else lines.push(`invalid: ${v.errors.length} error${v.errors.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
