import { DomainError, type ErrorDetail } from '@signalbox/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Locate } from './body';

// ajv-formats is CommonJS with a default export; depending on the loader it arrives wrapped once more.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

/** A JSON Schema object as this package writes them (a subset shared by ajv and OpenAPI 3.1). */
export type Schema = Record<string, unknown>;

/**
 * Bodies: no coercion, every error reported. Union types are allowed: a variable's value is one
 * of several scalars, and one `type` list gives one error for it where `anyOf` would give one per branch.
 */
const bodyAjv = new Ajv({ allErrors: true, strict: true, useDefaults: false, allowUnionTypes: true });
/** Query strings and path parameters arrive as strings: numbers and booleans are coerced. */
const queryAjv = new Ajv({ allErrors: true, strict: true, coerceTypes: true, useDefaults: true });
addFormats(bodyAjv, ['date-time', 'email', 'uuid', 'uri']);
addFormats(queryAjv, ['date-time', 'email', 'uuid', 'uri']);

export const compileBody = <T>(schema: Schema): ValidateFunction<T> => bodyAjv.compile<T>(schema);
export const compileQuery = <T>(schema: Schema): ValidateFunction<T> => queryAjv.compile<T>(schema);

const fromPointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** A detail for the value at `path`; with a locator, the line and column where it was written. */
function detail(root: string, path: readonly string[], reason: string, locate?: Locate, at: { path?: readonly string[]; key?: boolean } = {}): ErrorDetail {
  // A query's lists arrive split from one or more parameters: the parameter is the field.
  const field = (root === 'query' ? path.slice(0, 1) : path).join('.') || root;
  const position = locate?.(at.path ?? path, at.key);
  return position ? { field, reason, line: position.line, column: position.column } : { field, reason };
}

/**
 * ajv's errors as `{field, reason}` with wire names (`config.base_url`, `per_page`), and with
 * `line` and `column` when a locator into the body's text is given.
 */
export function detailsOf(errors: ErrorObject[] | null | undefined, root: 'body' | 'query', locate?: Locate): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const e of errors ?? []) {
    const path = e.instancePath.split('/').slice(1).map(fromPointer);
    let d: ErrorDetail;
    if (e.keyword === 'required') {
      // Missing: point at the object that lacks it.
      d = detail(root, [...path, (e.params as { missingProperty: string }).missingProperty], 'is required', locate, { path });
    } else if (e.keyword === 'additionalProperties') {
      const extra = [...path, (e.params as { additionalProperty: string }).additionalProperty];
      d = detail(root, extra, 'is not an accepted field', locate, { key: true });
    } else if (e.keyword === 'enum') {
      d = detail(root, path, `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`, locate);
    } else if (e.keyword === 'format') {
      d = detail(root, path, `must be ${article((e.params as { format: string }).format)}`, locate);
    } else if (e.keyword === 'type' && path.length === 0 && root === 'body') {
      d = detail(root, path, 'the request body must be an object', locate);
    } else {
      d = detail(root, path, e.message ?? 'is invalid', locate);
    }
    if (!out.some((o) => o.field === d.field && o.reason === d.reason)) out.push(d);
  }
  return out;
}

const FORMAT_NAMES: Record<string, string> = {
  'date-time': 'an RFC 3339 date-time (e.g. 2026-01-15T12:00:00Z)',
  email: 'an email address',
  uuid: 'a UUID',
  uri: 'an absolute URI',
};
const article = (format: string) => FORMAT_NAMES[format] ?? `a valid ${format}`;

const NUL_REASON = 'must not contain the NUL character (U+0000)';

/**
 * How deeply a body's objects and arrays may nest. Ours are a few levels deep; `conf` and
 * variables leave room for users' own structures. Deeper input is refused before anything walks
 * it, so no recursive code (ours, ajv's, the YAML locator's) ever sees thousands of levels.
 */
export const MAX_DEPTH = 64;

/**
 * Every value in `data` (at any depth) that cannot be stored as it came, as `{field, reason}`:
 * strings and keys holding U+0000, which PostgreSQL refuses in text and jsonb (bad input here
 * rather than a database error later), numbers JSON cannot write (YAML's `.inf`, `.nan`), and
 * nesting deeper than MAX_DEPTH (reported once, at the first value past it). The walk keeps its
 * own stack: a hostile body must not be able to overflow the call stack.
 */
export function unstorableDetails(data: unknown, root: 'body' | 'query', locate?: Locate): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const stack: { value: unknown; path: string[] }[] = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string[] };
    if (typeof value === 'string') {
      if (value.includes('\u0000')) out.push(detail(root, path, NUL_REASON, locate));
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) out.push(detail(root, path, 'must be a finite number', locate));
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_DEPTH) {
        // The locator would walk as deep as the body: name the place without it.
        return [detail(root, path, `nests objects and arrays deeper than ${MAX_DEPTH} levels`)];
      }
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      // Pushed in reverse so that problems come out in document order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i];
        if (!Array.isArray(value) && k.includes('\u0000')) out.push(detail(root, path, `has a key that ${NUL_REASON}`, locate));
        else stack.push({ value: v, path: [...path, k] });
      }
    }
  }
  return out;
}

const tooDeep = (details: ErrorDetail[]) => details.some((d) => d.reason.startsWith('nests objects'));

/**
 * Checks `data` and returns it typed, or throws `invalid` naming each field and why. `locate`
 * (a body that came as text) adds where in the text each problem is.
 */
export function check<T>(validate: ValidateFunction<T>, data: unknown, root: 'body' | 'query', locate?: () => Locate | undefined): T {
  const plain = unstorableDetails(data, root);
  if (tooDeep(plain)) throw invalid(root, plain);
  if (validate(data) && plain.length === 0) return data;
  const where = locate?.();
  const bad = where ? unstorableDetails(data, root, where) : plain;
  throw invalid(root, [...bad, ...detailsOf(validate.errors, root, where).filter((d) => !bad.some((n) => n.field === d.field))]);
}

function invalid(root: 'body' | 'query', details: ErrorDetail[]): DomainError {
  const message = details.map((d) => `${d.field}${d.line === undefined ? '' : ` (line ${d.line}, column ${d.column})`}: ${d.reason}`).join('; ');
  return new DomainError('invalid', root === 'body' ? 'BODY_INVALID' : 'QUERY_INVALID', message, { details });
}
