import type { SqlAnalysis, SqlParser, SqlTableRef } from '@signalbox/core';
import { loadModule, parseSync, type ScanResult, scanSync } from 'libpg-query';

/** A psql variable's name: what psql takes after `:` (ASCII letters, digits, underscores). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One `:name` replaced by `$n`: where it was and where its replacement is. */
interface Edit {
  originalStart: number;
  originalEnd: number;
  rewrittenStart: number;
  rewrittenEnd: number;
}

/**
 * PostgreSQL's own parser (libpg-query, WebAssembly). PostgreSQL does not know psql's `:name`
 * variables, so they are found with PostgreSQL's own scanner (which already skips string literals,
 * `E''` and dollar quotes, quoted identifiers, comments and `::` casts), rewritten to `$n`
 * parameters before parsing, and an error's position is mapped back through that rewrite.
 */
export function pgSqlParser(): SqlParser {
  let loaded: Promise<void> | undefined;
  return {
    async analyze(sql) {
      // The WebAssembly module loads once per process (tens of milliseconds), then parses take ~1 ms.
      loaded ??= loadModule();
      await loaded;
      return analyzeSync(sql);
    },
  };
}

function analyzeSync(sql: string): SqlAnalysis {
  // The parser refuses an empty query; an empty or comment-only text holds no statement.
  if (sql.trim() === '') return { ok: true, tables: [], variables: [], statements: 0, positional: sql };
  const { rewritten, variables, edits } = rewriteVariables(sql);
  let tree: { stmts?: unknown[] };
  try {
    tree = parseSync(rewritten) as { stmts?: unknown[] };
  } catch (err) {
    const details = (err as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (err as Error).message;
    const position = details?.cursorPosition;
    const offset = typeof position === 'number' && position >= 0 ? toOriginal(codePointsToUnits(rewritten, position), edits) : 0;
    return { ok: false, message, offset };
  }
  const statements = tree.stmts ?? [];
  return { ok: true, tables: tablesOf(statements), variables, statements: statements.length, positional: rewritten };
}

/** `:name` → `$n` (one number per name, first use first), outside literals, identifiers and comments. */
function rewriteVariables(sql: string): { rewritten: string; variables: { name: string; offset: number }[]; edits: Edit[] } {
  let scan: ScanResult;
  try {
    scan = scanSync(sql);
  } catch {
    // The scanner refuses an unterminated literal, quoted identifier or comment (and its error is
    // lost). The parser still reads up to there, stopping at each `:name` on the way.
    return rewriteAsParserStops(sql);
  }
  const units = byteToUnitOffsets(sql);
  const numbers = new Map<string, number>();
  const variables: { name: string; offset: number }[] = [];
  const edits: Edit[] = [];
  let rewritten = '';
  let copied = 0;
  const tokens = scan.tokens;
  for (let k = 0; k + 1 < tokens.length; k++) {
    const colon = tokens[k];
    const name = tokens[k + 1];
    // `:name` is a lone `:` token followed at once by a bare word; `::` is a TYPECAST token of its own.
    if (colon.text !== ':' || name.start !== colon.end || !VARIABLE_NAME.test(name.text)) continue;
    const start = units[colon.start];
    const end = units[name.end];
    const variable = sql.slice(start + 1, end);
    let number = numbers.get(variable);
    if (number === undefined) {
      number = numbers.size + 1;
      numbers.set(variable, number);
      variables.push({ name: variable, offset: start });
    }
    rewritten += sql.slice(copied, start);
    // The space keeps `x:a` from becoming the identifier `x$1`.
    const replacement = ` $${number}`;
    edits.push({ originalStart: start, originalEnd: end, rewrittenStart: rewritten.length, rewrittenEnd: rewritten.length + replacement.length });
    rewritten += replacement;
    copied = end;
    k += 1;
  }
  rewritten += sql.slice(copied);
  return { rewritten, variables, edits };
}

/**
 * The rewrite without the scanner: parse, and while the parser stops at a `:name` (never SQL),
 * rewrite that one and parse again. Ends at the first error that is not a variable.
 */
function rewriteAsParserStops(sql: string): { rewritten: string; variables: { name: string; offset: number }[]; edits: Edit[] } {
  const numbers = new Map<string, number>();
  const variables: { name: string; offset: number }[] = [];
  const edits: Edit[] = [];
  let rewritten = sql;
  for (;;) {
    let position: number | undefined;
    try {
      parseSync(rewritten);
      break;
    } catch (err) {
      position = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    }
    if (typeof position !== 'number' || position < 0) break;
    const at = codePointsToUnits(rewritten, position);
    const name = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(rewritten.slice(at))?.[1];
    if (rewritten[at - 1] === ':' || name === undefined) break;
    const start = toOriginal(at, edits);
    let number = numbers.get(name);
    if (number === undefined) {
      number = numbers.size + 1;
      numbers.set(name, number);
      variables.push({ name, offset: start });
    }
    const replacement = ` $${number}`;
    rewritten = rewritten.slice(0, at) + replacement + rewritten.slice(at + name.length + 1);
    const edit = { originalStart: start, originalEnd: start + name.length + 1, rewrittenStart: at, rewrittenEnd: at + replacement.length };
    // Later stops are further on: the edits stay in order.
    edits.push(edit);
  }
  return { rewritten, variables, edits };
}

/** An offset in the rewritten text back to the original: inside a replacement, the variable's `:`. */
function toOriginal(offset: number, edits: Edit[]): number {
  let shift = 0;
  for (const edit of edits) {
    if (offset < edit.rewrittenStart) break;
    if (offset < edit.rewrittenEnd) return edit.originalStart;
    shift = edit.originalEnd - edit.rewrittenEnd;
  }
  return offset + shift;
}

/** The scanner counts UTF-8 bytes: for each byte offset, the UTF-16 offset of that place. */
function byteToUnitOffsets(text: string): Int32Array {
  const map = new Int32Array(Buffer.byteLength(text, 'utf8') + 1);
  let byte = 0;
  for (let unit = 0; unit < text.length; ) {
    const point = text.codePointAt(unit) ?? 0;
    const bytes = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    for (let b = 0; b < bytes; b++) map[byte + b] = unit;
    byte += bytes;
    unit += point > 0xffff ? 2 : 1;
  }
  map[byte] = text.length;
  return map;
}

/** PostgreSQL reports error positions in characters (code points): the UTF-16 offset of one. */
function codePointsToUnits(text: string, points: number): number {
  let unit = 0;
  for (let p = 0; p < points && unit < text.length; p++) unit += (text.codePointAt(unit) ?? 0) > 0xffff ? 2 : 1;
  return unit;
}

interface RangeVarNode {
  schemaname?: string;
  relname: string;
  location?: number;
}

/**
 * Every `RangeVar` (a table or view named in FROM, JOIN, INSERT INTO, UPDATE, …) minus the names
 * of the CTEs in scope where it appears, in order of place in the text, unique.
 */
function tablesOf(statements: unknown[]): SqlTableRef[] {
  const found: RangeVarNode[] = [];
  const visit = (node: unknown, ctes: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, ctes);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    // A RangeVar comes wrapped (`{RangeVar: {…}}`) where any node may stand, and bare where the
    // tree's field can only be one (`InsertStmt.relation`, `IntoClause.rel`): know it by its shape.
    if (typeof record.relname === 'string' && 'relpersistence' in record) {
      const range = record as unknown as RangeVarNode;
      if (range.schemaname || !ctes.has(range.relname)) found.push(range);
      return;
    }
    const withClause = record.withClause as { ctes?: unknown[]; recursive?: boolean } | undefined;
    let scope = ctes;
    if (withClause) {
      const names = (withClause.ctes ?? []).map((c) => (c as { CommonTableExpr?: { ctename?: string } }).CommonTableExpr?.ctename ?? '');
      const all = new Set([...ctes, ...names]);
      // A plain CTE's query sees the CTEs before it; a recursive WITH's queries see them all.
      (withClause.ctes ?? []).forEach((cte, i) => {
        visit(cte, withClause.recursive ? all : new Set([...ctes, ...names.slice(0, i)]));
      });
      scope = all;
    }
    for (const [key, child] of Object.entries(record)) if (key !== 'withClause') visit(child, scope);
  };
  visit(statements, new Set());
  found.sort((a, b) => (a.location ?? 0) - (b.location ?? 0));
  const seen = new Set<string>();
  const tables: SqlTableRef[] = [];
  for (const range of found) {
    const schema = range.schemaname ?? null;
    const key = `${schema ?? ''}\u0000${range.relname}`;
    if (seen.has(key)) continue;
    seen.add(key);
    tables.push({ schema, name: range.relname });
  }
  return tables;
}
