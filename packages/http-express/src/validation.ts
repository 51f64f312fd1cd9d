import { DomainError, type ErrorDetail } from '@signalbox/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Locate } from './body';

// ajv-formats is CommonJS with a default export; depending on the loader it arrives wrapped once more.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

/** A JSON Schema object as this package writes them (a subset shared by ajv and OpenAPI 3.1). */
export type Schema = Record<string, unknown>;

/** Bodies: no coercion, every error reported. */
const bodyAjv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
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
 * Every value in `data` (at any depth) that cannot be stored as it came, as `{field, reason}`:
 * strings and keys holding U+0000, which PostgreSQL refuses in text and jsonb (bad input here
 * rather than a database error later), and numbers JSON cannot write (YAML's `.inf`, `.nan`).
 */
export function unstorableDetails(data: unknown, root: 'body' | 'query', locate?: Locate): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) out.push(detail(root, path, NUL_REASON, locate));
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) out.push(detail(root, path, 'must be a finite number', locate));
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, String(i)]);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\u0000')) out.push(detail(root, path, `has a key that ${NUL_REASON}`, locate));
        else walk(v, [...path, k]);
      }
    }
  };
  walk(data, []);
  return out;
}

/**
 * Checks `data` and returns it typed, or throws `invalid` naming each field and why. `locate`
 * (a body that came as text) adds where in the text each problem is.
 */
export function check<T>(validate: ValidateFunction<T>, data: unknown, root: 'body' | 'query', locate?: () => Locate | undefined): T {
  const plain = unstorableDetails(data, root);
  if (validate(data) && plain.length === 0) return data;
  const where = locate?.();
  const bad = where ? unstorableDetails(data, root, where) : plain;
  const details = [...bad, ...detailsOf(validate.errors, root, where).filter((d) => !bad.some((n) => n.field === d.field))];
  const message = details.map((d) => `${d.field}${d.line === undefined ? '' : ` (line ${d.line}, column ${d.column})`}: ${d.reason}`).join('; ');
  throw new DomainError('invalid', root === 'body' ? 'BODY_INVALID' : 'QUERY_INVALID', message, { details });
}
