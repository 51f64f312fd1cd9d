import { DomainError, type ErrorDetail } from '@signalbox/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

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

/** ajv's errors as `{field, reason}` with wire names: `config.base_url`, `per_page`. */
export function detailsOf(errors: ErrorObject[] | null | undefined, root: string): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const e of errors ?? []) {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let field = path.join('.');
    let reason = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      field = [...path, (e.params as { missingProperty: string }).missingProperty].join('.');
      reason = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field = [...path, (e.params as { additionalProperty: string }).additionalProperty].join('.');
      reason = 'is not an accepted field';
    } else if (e.keyword === 'enum') {
      reason = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
    } else if (e.keyword === 'format') {
      reason = `must be ${article((e.params as { format: string }).format)}`;
    } else if (e.keyword === 'type' && path.length === 0 && root === 'body') {
      reason = 'the request body must be a JSON object';
    }
    if (!out.some((d) => d.field === (field || root) && d.reason === reason)) out.push({ field: field || root, reason });
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
 * Every string in `data` (values and keys, at any depth) holding U+0000, as `{field, reason}`.
 * PostgreSQL refuses that character in text and jsonb, so it is bad input here rather than a
 * database error later.
 */
export function nulDetails(data: unknown, root: string): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) out.push({ field: path.join('.') || root, reason: NUL_REASON });
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, String(i)]);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\u0000')) out.push({ field: path.join('.') || root, reason: `has a key that ${NUL_REASON}` });
        else walk(v, [...path, k]);
      }
    }
  };
  walk(data, []);
  return out;
}

/** Checks `data` and returns it typed, or throws `invalid` naming each field and why. */
export function check<T>(validate: ValidateFunction<T>, data: unknown, root: 'body' | 'query'): T {
  const nul = nulDetails(data, root);
  if (validate(data) && nul.length === 0) return data;
  const details = [...nul, ...detailsOf(validate.errors, root).filter((d) => !nul.some((n) => n.field === d.field))];
  const message = details.map((d) => `${d.field}: ${d.reason}`).join('; ');
  throw new DomainError('invalid', root === 'body' ? 'BODY_INVALID' : 'QUERY_INVALID', message, { details });
}
