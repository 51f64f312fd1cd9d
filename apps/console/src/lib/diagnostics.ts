import type { ErrorDetail } from './api';

/** A problem of a definition placed in its text: offsets from the start of the text, as an editor marks them. */
export interface Placed {
  from: number;
  to: number;
  severity: 'error' | 'warning';
  message: string;
  line: number;
}

/**
 * Places the server's details (line and column from 1) in the text. A detail with a line marks
 * from its column to the end of that line; one without (a problem of the whole definition) marks
 * the first line. Lines past the end are clamped to the last line.
 */
export function placeDetails(text: string, details: ErrorDetail[], severity: Placed['severity']): Placed[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return details.map((d) => {
    const line = Math.min(Math.max(d.line ?? 1, 1), starts.length);
    const lineStart = starts[line - 1];
    const lineEnd = line < starts.length ? starts[line] - 1 : text.length;
    const from = Math.min(lineStart + Math.max((d.column ?? 1) - 1, 0), lineEnd);
    const to = Math.max(lineEnd, from);
    const where = d.field ? `${d.field}: ` : '';
    const inQuery = d.query_line === undefined ? '' : ` (query line ${d.query_line}${d.query_column === undefined ? '' : `, column ${d.query_column}`})`;
    return { from, to, severity, message: `${where}${d.reason}${inQuery}`, line };
  });
}
