import { type JobType, LOAD_MODES } from '../definition/spec';
import type { StepStatement } from '../ports/warehouse';

/*
 * How a step travels to a runner outside this process (a pod of an Argo workflow): its statement as
 * base64 of JSON, so no templating on the way (Argo's `{{…}}`) can touch the SQL or its values, and
 * the values stay bound parameters, never spliced. The runner answers its outcome as JSON in a file.
 */

/** The environment variable that carries the encoded statement. */
export const STEP_ENV = 'SIGNALBOX_STEP';
/** The warehouse to run on: a PostgreSQL URL (from a Kubernetes Secret, never in the manifest). */
export const WAREHOUSE_URL_ENV = 'SIGNALBOX_WAREHOUSE_URL';
/** Where the runner writes `{rows, cursor}` once the step has committed. */
export const OUTCOME_FILE_ENV = 'SIGNALBOX_OUTCOME_FILE';

const JOB_TYPES: readonly JobType[] = ['extract', 'data-transform', 'load'];

const toBase64 = (text: string): string => {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
};

const fromBase64 = (b64: string): string => new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));

export function encodeStep(statement: StepStatement): string {
  return toBase64(JSON.stringify(statement));
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isTable = (v: unknown): boolean =>
  !!v && typeof v === 'object' && isString((v as Record<string, unknown>).schema) && isString((v as Record<string, unknown>).name);

/** The statement an encoded step carries; throws an Error naming what is wrong with it. */
export function decodeStep(encoded: string): StepStatement {
  let value: unknown;
  try {
    value = JSON.parse(fromBase64(encoded.trim()));
  } catch {
    throw new Error(`${STEP_ENV} is not base64 of JSON`);
  }
  const s = value as Record<string, unknown>;
  const wrong = (field: string) => new Error(`${STEP_ENV}: ${field} is missing or of the wrong type`);
  if (!s || typeof s !== 'object') throw wrong('the statement');
  if (!isString(s.runId)) throw wrong('runId');
  if (!isString(s.step)) throw wrong('step');
  if (!JOB_TYPES.includes(s.jobType as JobType)) throw wrong('jobType');
  if (!isString(s.sql)) throw wrong('sql');
  if (!Array.isArray(s.params)) throw wrong('params');
  if (!Array.isArray(s.searchPath) || !s.searchPath.every(isString)) throw wrong('searchPath');
  if (s.output !== null && !isTable(s.output)) throw wrong('output');
  if (!LOAD_MODES.includes(s.mode as StepStatement['mode'])) throw wrong('mode');
  if (s.key !== undefined && !(Array.isArray(s.key) && s.key.every(isString))) throw wrong('key');
  if (s.cursorColumn !== undefined && !isString(s.cursorColumn)) throw wrong('cursorColumn');
  return s as unknown as StepStatement;
}
