import type { CronSchedules } from '../background/cron';
import { type ErrorDetail, isDomainError } from '../errors';
import type { DefinitionFormat, DefinitionReader, ParsedText, SqlAnalysis, SqlParser } from '../ports/definition-tools';
import { orderSteps, type Read } from './graph';
import { type Problem, readDraft, type StepDraft } from './shape';
import { LAST_CURSOR_VARIABLE, type PipelineSpec, type StepSpec } from './spec';

export * from './spec';

/** What a definition check needs of the adapters. */
export interface DefinitionTools {
  reader: DefinitionReader;
  sql: SqlParser;
  /** Checks `schedule` beyond its 5 fields when given (the field count is checked either way). */
  cron?: CronSchedules;
}

/**
 * A definition checked. Problems are one detail each, `field` a JSON pointer into the definition
 * as sent (`/transforms/1/query`) with its `line` and `column` in the text (and `queryLine`,
 * `queryColumn` for an error inside a query). Warnings never stop a definition.
 */
export type CheckedDefinition = { ok: true; spec: PipelineSpec; warnings: ErrorDetail[] } | { ok: false; errors: ErrorDetail[]; warnings: ErrorDetail[] };

/**
 * Reads a definition written in either shape (seed-3 `steps`, or seed-2 `sources` /
 * `transforms` / `destinations`) and normalizes it, or says every problem it finds: syntax,
 * unknown or missing fields, bad names, duplicate step or dataset names, a cycle, a dataset read
 * that nothing writes, two steps writing one dataset, an unknown `:variable`, SQL that does not
 * parse. Never throws for bad input.
 *
 * Errors and warnings come in the order of their place in the text. A table that a query reads
 * and no step writes is taken to be the warehouse's own (not checked here); a dataset named in
 * `input_datasets` or a destination's `from` must be written by a step.
 */
export async function checkDefinition(text: string, format: DefinitionFormat, tools: DefinitionTools): Promise<CheckedDefinition> {
  let parsed: ParsedText;
  try {
    parsed = tools.reader.read(text, format);
  } catch (err) {
    if (isDomainError(err) && err.kind === 'invalid') {
      return { ok: false, errors: err.details.length > 0 ? err.details : [{ field: '', reason: err.message }], warnings: [] };
    }
    throw err;
  }

  const draft = readDraft(parsed.value);
  const problems = draft.problems;
  const schedule = draft.settings.schedule;
  if (schedule !== null && tools.cron) {
    const reason = refusal(() => tools.cron?.check(schedule, '/schedule'));
    if (reason !== undefined) problems.push({ pointer: '/schedule', reason });
  }

  // Queries the definition implies (a destination's) are built from checked names: not parsed.
  const analyses = await Promise.all(
    draft.steps.map((step) => (step.query !== undefined && step.queryPointer !== undefined ? tools.sql.analyze(step.query) : undefined)),
  );
  const used = new Set<string>();
  const reads = draft.steps.map((step, i) => checkQuery(step, analyses[i], draft.declaredVariables, problems, used));
  const graph = orderSteps(draft.steps, reads);
  problems.push(...graph.problems);

  const warnings = [...graph.warnings];
  // Whether a variable is used can only be told when every query was read.
  if (analyses.every((a) => a === undefined || a.ok)) {
    for (const name of Object.keys(draft.settings.variables)) {
      if (!used.has(name)) warnings.push({ pointer: `/variables/${name}`, reason: 'is not used by any query', atKey: true });
    }
  }

  if (problems.length > 0) return { ok: false, errors: place(parsed, problems), warnings: place(parsed, warnings) };
  const steps = graph.order.map((i): StepSpec => toStep(draft.steps[i], reads[i], graph.dependsOn[i]));
  return { ok: true, spec: { ...draft.settings, steps }, warnings: place(parsed, warnings) };
}

/** The reason a check refused a value (an invalid DomainError), or undefined when it passed. */
function refusal(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (isDomainError(err) && err.kind === 'invalid') return err.details[0]?.reason ?? err.message;
    throw err;
  }
}

/**
 * Checks what the parser said of a step's query, and answers the datasets the step reads: those it
 * names, or else the tables its query reads (minus its own outputs: a query may name the table it
 * writes, and that is no dependency on itself).
 */
function checkQuery(step: StepDraft, analysis: SqlAnalysis | undefined, declared: Set<string>, problems: Problem[], used: Set<string>): Read[] {
  const given: Read[] | undefined = step.inputs?.map((input) => ({ name: input.name, pointer: input.pointer }));
  const pointer = step.queryPointer;
  const query = step.query;
  if (analysis === undefined || pointer === undefined || query === undefined) return given ?? [];
  if (!analysis.ok) {
    problems.push({ pointer, reason: `does not parse: ${analysis.message}`, inQuery: { offset: analysis.offset, query } });
    return given ?? [];
  }
  if (analysis.statements === 0) problems.push({ pointer, reason: 'holds no SQL statement: a step runs exactly one' });
  if (analysis.statements > 1) problems.push({ pointer, reason: `holds ${analysis.statements} SQL statements: a step runs exactly one` });
  for (const variable of analysis.variables) {
    used.add(variable.name);
    if (variable.name === LAST_CURSOR_VARIABLE && step.incremental) continue;
    if (declared.has(variable.name)) continue;
    const reason =
      variable.name === LAST_CURSOR_VARIABLE
        ? '`:last_cursor` is given only to incremental sources (with `incremental: {cursor_column}`)'
        : `\`:${variable.name}\` is not a declared variable (declare it under \`variables\`)`;
    problems.push({ pointer, reason, inQuery: { offset: variable.offset, query } });
  }
  const tables = analysis.tables.map((t) => (t.schema === null ? t.name : `${t.schema}.${t.name}`));
  // A named input that the query reads as a table may be the warehouse's own, as a table found in
  // the query is: a normalized spec, which names every table its queries read, reads back as itself.
  if (given) return given.map((read) => (tables.includes(read.name) ? { name: read.name } : read));
  const own = new Set(step.outputs.map((o) => o.name));
  return tables.filter((name) => !own.has(name)).map((name) => ({ name }));
}

function toStep(step: StepDraft, reads: Read[], dependsOn: string[]): StepSpec {
  const config: StepSpec['config'] = {
    query_type: 'sql',
    query: step.query as string,
    input_datasets: [...new Set(reads.map((r) => r.name))],
    output_datasets: [...new Set(step.outputs.map((o) => o.name))],
    job_type: step.jobType as StepSpec['config']['job_type'],
  };
  if (step.mode) config.mode = step.mode;
  if (step.key) config.key = step.key;
  if (step.incremental) config.incremental = step.incremental;
  return { name: step.name as string, config, depends_on: dependsOn };
}

/** Problems placed in the text, in the order of their places (stable for one place). */
function place(parsed: ParsedText, problems: Problem[]): ErrorDetail[] {
  return problems
    .map((problem) => toDetail(parsed, problem))
    .map((detail, i) => ({ detail, i }))
    .sort((a, b) => (a.detail.line ?? 0) - (b.detail.line ?? 0) || (a.detail.column ?? 0) - (b.detail.column ?? 0) || a.i - b.i)
    .map(({ detail }) => detail);
}

function toDetail(parsed: ParsedText, problem: Problem): ErrorDetail {
  const { pointer, reason, inQuery } = problem;
  if (inQuery) {
    const at = parsed.locateInString(pointer, inQuery.offset);
    const inside = positionInText(inQuery.query, inQuery.offset);
    return { field: pointer, reason, line: at.line, column: at.column, queryLine: inside.line, queryColumn: inside.column };
  }
  const at = problem.atKey && parsed.locateKey ? parsed.locateKey(pointer) : parsed.locate(pointer);
  return { field: pointer, reason, line: at.line, column: at.column };
}

/** 1-based line and column (UTF-16 units) of `offset` in `text`. */
export function positionInText(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1) as string).length + 1 };
}
