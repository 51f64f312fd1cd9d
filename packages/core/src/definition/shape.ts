import {
  DATASET_NAME_PATTERN,
  EMBEDDED_ENGINE,
  JOB_TYPES,
  type JobType,
  LAST_CURSOR_VARIABLE,
  LOAD_MODES,
  type LoadMode,
  MANAGED_NAME_PATTERN,
  MAX_ACTIVE_RUNS_LIMIT,
  type PipelineSpec,
  STEP_NAME_PATTERN,
  TIMEOUT_SECONDS_LIMIT,
  VARIABLE_NAME_PATTERN,
  type VariableValue,
} from './spec';

/*
 * The structural check of a definition: every field's presence, type and form, written by hand
 * because the core has no dependencies. It reads the parsed value into drafts of steps that keep
 * where each part was written, so that the SQL and graph checks after it can point into the text.
 */

/** A problem found, before it is placed in the text. */
export interface Problem {
  /** JSON pointer into the definition as sent. */
  pointer: string;
  reason: string;
  /** Point at the member's key rather than its value (an unknown field). */
  atKey?: boolean;
  /** A place inside the query string at `pointer`: its offset, and the query to count lines in. */
  inQuery?: { offset: number; query: string };
}

/** A name as written, and where. */
export interface Named {
  name: string;
  pointer: string;
}

/** One step as read, whichever shape it came in, with the places its parts were written. */
export interface StepDraft {
  /** The item that defines it: `/steps/0`, `/sources/1`, `/destinations/0`. */
  pointer: string;
  /** Undefined when missing or not a string (then the step takes no part in the graph). */
  name: string | undefined;
  namePointer: string;
  jobType: JobType | undefined;
  /** Undefined when missing or not a string. */
  query: string | undefined;
  /** Where the query was written; undefined for a query the definition implies (a destination's). */
  queryPointer: string | undefined;
  /** Datasets read, when the definition names them; otherwise found by parsing the query. */
  inputs: Named[] | undefined;
  outputs: Named[];
  dependsOn: Named[];
  mode?: LoadMode;
  key?: string[];
  incremental?: { cursor_column: string };
}

/** A definition as read: its settings, its steps in the order written, and every problem found. */
export interface Draft {
  settings: Omit<PipelineSpec, 'steps'>;
  /** Every variable name written, valid or not, so a query that uses one is not also blamed. */
  declaredVariables: Set<string>;
  steps: StepDraft[];
  /** False when the definition has both shapes or neither. */
  oneShape: boolean;
  problems: Problem[];
}

const TOP_LEVEL = [
  'name',
  'version',
  'description',
  'owner',
  'tags',
  'schedule',
  'variables',
  'engine',
  'warehouse',
  'max_active_runs',
  'timeout_seconds',
  'steps',
  'sources',
  'transforms',
  'destinations',
] as const;
const STEP_FIELDS = ['name', 'config', 'depends_on'] as const;
const CONFIG_FIELDS = ['query_type', 'query', 'input_datasets', 'output_datasets', 'job_type', 'mode', 'key', 'incremental'] as const;
const SOURCE_FIELDS = ['name', 'query', 'incremental'] as const;
const TRANSFORM_FIELDS = ['name', 'query'] as const;
const DESTINATION_FIELDS = ['name', 'from', 'mode', 'key', 'step'] as const;
const INCREMENTAL_FIELDS = ['cursor_column'] as const;

const SAYS = {
  managedName: 'must be lowercase letters, digits, `_` and `-`, starting with a letter or a digit, at most 128 characters',
  stepName: 'must be letters, digits, `_`, `.` and `-`, starting with a letter or a digit, at most 128 characters',
  dataset: 'must be a lowercase identifier, optionally schema-qualified (`schema.table`)',
  variable: 'must be a lowercase identifier (letters, digits and `_`, not starting with a digit), at most 63 characters',
};

/** RFC 6901: `~` and `/` in a key are escaped. */
export const pointerTo = (base: string, key: string | number) => `${base}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Record<string, unknown>, key: string) => Object.hasOwn(o, key);

/** Reads fields of one object, saying what is wrong with each. */
class Fields {
  constructor(
    private readonly problems: Problem[],
    readonly value: Record<string, unknown>,
    readonly pointer: string,
    /** The fields it may have; null for a map whose every key is a name (variables). */
    accepted: readonly string[] | null,
  ) {
    for (const key of Object.keys(value)) {
      if (accepted && !accepted.includes(key)) problems.push({ pointer: this.at(key), reason: 'is not an accepted field', atKey: true });
    }
  }

  at(key: string): string {
    return pointerTo(this.pointer, key);
  }

  has(key: string): boolean {
    return has(this.value, key);
  }

  fail(key: string, reason: string): undefined {
    this.problems.push({ pointer: this.at(key), reason });
    return undefined;
  }

  /** A string: `required` says absence is a problem; `nullable` lets null mean "none". */
  string(key: string, options: { required?: boolean; nullable?: boolean; pattern?: RegExp; says?: string } = {}): string | null | undefined {
    if (!this.has(key)) return options.required ? this.fail(key, 'is required') : undefined;
    const v = this.value[key];
    if (v === null && options.nullable) return null;
    if (typeof v !== 'string') return this.fail(key, options.nullable ? 'must be a string or null' : 'must be a string');
    if (v.trim() === '') return this.fail(key, 'must not be empty');
    if (options.pattern && !options.pattern.test(v)) return this.fail(key, options.says ?? `must match ${options.pattern.source}`);
    return v;
  }

  /** An integer within bounds, or null when `nullable`. */
  integer(key: string, min: number, max: number, nullable: boolean): number | null | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (v === null && nullable) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return this.fail(key, `must be an integer from ${min} to ${max}${nullable ? ', or null' : ''}`);
    }
    return v;
  }

  /** An array of strings each matching `pattern`, with where each was written. */
  names(key: string, options: { pattern?: RegExp; says?: string; nonEmpty?: boolean } = {}): Named[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.value[key];
    if (!Array.isArray(v)) return this.fail(key, 'must be an array of strings');
    if (options.nonEmpty && v.length === 0) return this.fail(key, 'must name at least one column');
    const named: Named[] = [];
    v.forEach((item, i) => {
      const pointer = pointerTo(this.at(key), i);
      if (typeof item !== 'string' || item.trim() === '') this.problems.push({ pointer, reason: 'must be a non-empty string' });
      else if (options.pattern && !options.pattern.test(item)) this.problems.push({ pointer, reason: options.says ?? `must match ${options.pattern.source}` });
      else named.push({ name: item, pointer });
    });
    return named;
  }

  /** An object's fields, or undefined (and a problem when present but not an object). */
  object(key: string, accepted: readonly string[] | null, required = false): Fields | undefined {
    if (!this.has(key)) return required ? this.fail(key, 'is required') : undefined;
    const v = this.value[key];
    if (!isObject(v)) return this.fail(key, 'must be an object');
    return new Fields(this.problems, v, this.at(key), accepted);
  }

  /** An array whose items are each read by `item`; null or absent is none. */
  list<T>(key: string, item: (value: unknown, pointer: string) => T | undefined): T[] | undefined {
    if (!this.has(key) || this.value[key] === null) return undefined;
    const v = this.value[key];
    if (!Array.isArray(v)) return this.fail(key, 'must be an array');
    const out: T[] = [];
    v.forEach((x, i) => {
      const read = item(x, pointerTo(this.at(key), i));
      if (read !== undefined) out.push(read);
    });
    return out;
  }
}

/** Reads a parsed definition into settings and step drafts, collecting every structural problem. */
export function readDraft(value: unknown): Draft {
  const problems: Problem[] = [];
  const draft: Draft = {
    settings: {
      name: '',
      version: null,
      description: null,
      owner: null,
      tags: [],
      schedule: null,
      engine: EMBEDDED_ENGINE,
      warehouse: null,
      max_active_runs: 1,
      timeout_seconds: null,
      variables: {},
    },
    declaredVariables: new Set(),
    steps: [],
    oneShape: false,
    problems,
  };
  if (!isObject(value)) {
    problems.push({ pointer: '', reason: 'must be an object (a mapping of fields)' });
    return draft;
  }
  const top = new Fields(problems, value, '', TOP_LEVEL);
  const s = draft.settings;
  s.name = top.string('name', { required: true, pattern: MANAGED_NAME_PATTERN, says: SAYS.managedName }) ?? '';
  s.version = readVersion(top);
  s.description = top.string('description', { nullable: true }) ?? null;
  s.owner = top.string('owner', { nullable: true }) ?? null;
  s.tags = top.list('tags', (v, pointer) => (typeof v === 'string' && v.trim() !== '' ? v : fail(problems, pointer, 'must be a non-empty string'))) ?? [];
  s.schedule = readSchedule(top);
  s.engine = top.string('engine') ?? EMBEDDED_ENGINE;
  s.warehouse = top.string('warehouse', { nullable: true }) ?? null;
  s.max_active_runs = top.integer('max_active_runs', 1, MAX_ACTIVE_RUNS_LIMIT, false) ?? 1;
  s.timeout_seconds = top.integer('timeout_seconds', 1, TIMEOUT_SECONDS_LIMIT, true) ?? null;
  readVariables(top, draft);

  const stepsShape = top.has('steps');
  const sourcesShape = top.has('sources');
  if (stepsShape && sourcesShape) {
    problems.push({ pointer: '', reason: 'must have either `steps` or `sources`, not both' });
  } else if (!stepsShape && !sourcesShape) {
    problems.push({ pointer: '', reason: 'must have `steps`, or `sources` (with optional `transforms` and `destinations`)' });
  } else {
    draft.oneShape = true;
  }
  if (stepsShape) {
    for (const key of ['transforms', 'destinations']) {
      if (top.has(key)) top.fail(key, 'belongs with `sources`, not with `steps`');
    }
    draft.steps.push(...(requiredList(top, 'steps', (v, p) => readStep(problems, v, p)) ?? []));
  }
  if (sourcesShape) {
    draft.steps.push(...(requiredList(top, 'sources', (v, p) => readSource(problems, v, p)) ?? []));
    draft.steps.push(...(top.list('transforms', (v, p) => readTransform(problems, v, p)) ?? []));
    draft.steps.push(...(top.list('destinations', (v, p) => readDestination(problems, v, p)) ?? []));
  }
  return draft;
}

function fail(problems: Problem[], pointer: string, reason: string): undefined {
  problems.push({ pointer, reason });
  return undefined;
}

/** The list a shape is made of: an array of at least one item. */
function requiredList<T>(top: Fields, key: string, item: (value: unknown, pointer: string) => T | undefined): T[] | undefined {
  const v = top.value[key];
  if (v === null || (Array.isArray(v) && v.length === 0)) return top.fail(key, 'must list at least one item');
  return top.list(key, item);
}

/** The user's label: a string, or a number written without quotes (`version: 1.0` is "1"), as text. */
function readVersion(top: Fields): string | null {
  if (!top.has('version')) return null;
  const v = top.value.version;
  if (v === null) return null;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v;
  return top.fail('version', 'must be a non-empty string or a number') ?? null;
}

function readSchedule(top: Fields): string | null {
  const v = top.string('schedule', { nullable: true });
  if (v === undefined || v === null) return null;
  // The cron adapter says more where it is given; the field count is checked here as well, so
  // that a definition means the same whichever adapters check it.
  if (v.trim().split(/\s+/).length !== 5)
    return top.fail('schedule', 'must be a cron expression of 5 fields: minute hour day-of-month month day-of-week') ?? null;
  return v;
}

function readVariables(top: Fields, draft: Draft): void {
  const vars = top.has('variables') && top.value.variables === null ? undefined : top.object('variables', null);
  if (!vars) return;
  for (const [name, value] of Object.entries(vars.value)) {
    draft.declaredVariables.add(name);
    const pointer = vars.at(name);
    if (!VARIABLE_NAME_PATTERN.test(name)) draft.problems.push({ pointer, reason: `is not a valid variable name: it ${SAYS.variable}`, atKey: true });
    else if (name === LAST_CURSOR_VARIABLE)
      draft.problems.push({ pointer, reason: 'is reserved: incremental sources receive it from their last run', atKey: true });
    else if (!isVariableValue(value)) draft.problems.push({ pointer, reason: 'must be a string, a number, a boolean or null' });
    else draft.settings.variables[name] = value;
  }
}

const isVariableValue = (v: unknown): v is VariableValue => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function emptyStep(pointer: string): StepDraft {
  return {
    pointer,
    name: undefined,
    namePointer: pointerTo(pointer, 'name'),
    jobType: undefined,
    query: undefined,
    queryPointer: undefined,
    inputs: undefined,
    outputs: [],
    dependsOn: [],
  };
}

function itemFields(problems: Problem[], value: unknown, pointer: string, accepted: readonly string[]): Fields | undefined {
  if (!isObject(value)) return fail(problems, pointer, 'must be an object');
  return new Fields(problems, value, pointer, accepted);
}

/** Seed 3: `{name, config: {query_type, query, input_datasets?, output_datasets?, job_type}, depends_on?}`. */
function readStep(problems: Problem[], value: unknown, pointer: string): StepDraft | undefined {
  const item = itemFields(problems, value, pointer, STEP_FIELDS);
  if (!item) return undefined;
  const step = emptyStep(pointer);
  step.name = item.string('name', { required: true, pattern: STEP_NAME_PATTERN, says: SAYS.stepName }) ?? stringAt(item, 'name');
  step.dependsOn = item.names('depends_on') ?? [];
  const config = item.object('config', CONFIG_FIELDS, true);
  if (!config) return step;
  if (!config.has('query_type')) config.fail('query_type', 'is required');
  else if (config.value.query_type !== 'sql') config.fail('query_type', 'must be `sql`');
  readQuery(config, step);
  step.inputs = config.names('input_datasets', { pattern: DATASET_NAME_PATTERN, says: SAYS.dataset });
  step.outputs = config.names('output_datasets', { pattern: DATASET_NAME_PATTERN, says: SAYS.dataset }) ?? [];
  const jobType = config.string('job_type', { required: true });
  if (typeof jobType === 'string') {
    if ((JOB_TYPES as readonly string[]).includes(jobType)) step.jobType = jobType as JobType;
    else config.fail('job_type', `must be one of ${JOB_TYPES.join(', ')}`);
  }
  const mode = readMode(config, step.jobType === undefined ? undefined : step.jobType === 'load');
  if (mode) step.mode = mode;
  else if (step.jobType === 'load') step.mode = 'replace';
  const key = readKey(config, step.mode);
  if (key) step.key = key;
  if (config.has('incremental')) {
    if (step.jobType !== undefined && step.jobType !== 'extract') config.fail('incremental', 'is accepted only on extract steps');
    else readIncremental(config, step);
  }
  return step;
}

/** A name that fails its pattern still names its step, so that steps referring to it are not also blamed. */
function stringAt(fields: Fields, key: string): string | undefined {
  const v = fields.value[key];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function readQuery(fields: Fields, step: StepDraft): void {
  const query = fields.string('query', { required: true });
  if (typeof query === 'string') {
    step.query = query;
    step.queryPointer = fields.at('query');
  }
}

/** `load` is undefined when the step's job type is unknown: then only the value is checked. */
function readMode(fields: Fields, load: boolean | undefined): LoadMode | undefined {
  if (!fields.has('mode')) return undefined;
  if (load === false) return fields.fail('mode', 'is accepted only on load steps');
  const mode = fields.string('mode');
  if (typeof mode !== 'string') return undefined;
  if (!(LOAD_MODES as readonly string[]).includes(mode)) return fields.fail('mode', `must be one of ${LOAD_MODES.join(', ')}`);
  return mode as LoadMode;
}

/** Merge needs the key columns to match rows by; the other modes have no use for them. */
function readKey(fields: Fields, mode: LoadMode | undefined): string[] | undefined {
  if (!fields.has('key')) {
    if (mode === 'merge') fields.fail('key', 'is required with mode `merge`');
    return undefined;
  }
  if (mode !== 'merge') return fields.fail('key', 'is accepted only with mode `merge`');
  return fields.names('key', { nonEmpty: true })?.map((k) => k.name);
}

function readIncremental(fields: Fields, step: StepDraft): void {
  const incremental = fields.object('incremental', INCREMENTAL_FIELDS);
  const column = incremental?.string('cursor_column', { required: true });
  if (typeof column === 'string') step.incremental = { cursor_column: column };
}

/** Seed 2: a source is an extract step whose result is the dataset it names. */
function readSource(problems: Problem[], value: unknown, pointer: string): StepDraft | undefined {
  const item = itemFields(problems, value, pointer, SOURCE_FIELDS);
  if (!item) return undefined;
  const step = datasetStep(item, 'extract');
  if (item.has('incremental')) readIncremental(item, step);
  return step;
}

/** Seed 2: a transform is a data-transform step whose result is the dataset it names. */
function readTransform(problems: Problem[], value: unknown, pointer: string): StepDraft | undefined {
  const item = itemFields(problems, value, pointer, TRANSFORM_FIELDS);
  return item ? datasetStep(item, 'data-transform') : undefined;
}

/** A source or a transform: its name is both the step's and the dataset's it writes. */
function datasetStep(item: Fields, jobType: JobType): StepDraft {
  const step = emptyStep(item.pointer);
  step.jobType = jobType;
  const name = item.string('name', { required: true, pattern: DATASET_NAME_PATTERN, says: SAYS.dataset });
  if (typeof name === 'string' && !STEP_NAME_PATTERN.test(name)) item.fail('name', `names a step as well: it ${SAYS.stepName}`);
  step.name = name ?? stringAt(item, 'name');
  if (step.name !== undefined) step.outputs = [{ name: step.name, pointer: step.namePointer }];
  readQuery(item, step);
  step.inputs = undefined;
  return step;
}

/**
 * Seed 2: a destination is a load step, named after its table unless it gives `step`, that reads
 * the dataset `from` and writes the table `name`.
 */
function readDestination(problems: Problem[], value: unknown, pointer: string): StepDraft | undefined {
  const item = itemFields(problems, value, pointer, DESTINATION_FIELDS);
  if (!item) return undefined;
  const step = emptyStep(pointer);
  step.jobType = 'load';
  const table = item.string('name', { required: true, pattern: DATASET_NAME_PATTERN, says: SAYS.dataset });
  const from = item.string('from', { required: true, pattern: DATASET_NAME_PATTERN, says: SAYS.dataset });
  const stepName = item.string('step', { pattern: STEP_NAME_PATTERN, says: SAYS.stepName });
  if (typeof stepName === 'string') {
    step.name = stepName;
    step.namePointer = item.at('step');
  } else if (typeof table === 'string') {
    if (STEP_NAME_PATTERN.test(table)) step.name = table;
    else item.fail('name', `names the step as well (unless \`step\` is given): it ${SAYS.stepName}`);
  }
  if (typeof table === 'string') step.outputs = [{ name: table, pointer: item.at('name') }];
  if (typeof from === 'string') {
    step.inputs = [{ name: from, pointer: item.at('from') }];
    step.query = `SELECT * FROM ${quoteDataset(from)}`;
  } else {
    step.inputs = [];
  }
  step.mode = readMode(item, true) ?? 'replace';
  const key = readKey(item, step.mode);
  if (key) step.key = key;
  return step;
}

/** `schema.table` as quoted identifiers: the name is checked, and quoting keeps it exactly that. */
const quoteDataset = (name: string) =>
  name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
