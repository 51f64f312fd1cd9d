/**
 * Validators for response bodies, compiled from the official Airflow OpenAPI files, so the stub
 * (and anything else) can be checked against the real API's contract. The files are not kept in
 * this repository: they are read from `AIRFLOW_OPENAPI_DIR`, else from `shared/airflow` beside the
 * checkout (where CI and the developers' machines have them).
 * v1 is OpenAPI 3.0 (`nullable`), v2 and the auth manager's file are OpenAPI 3.1 (JSON Schema 2020-12).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export type SpecName = 'v1' | 'v2' | 'auth';

/** Where the official files are: `AIRFLOW_OPENAPI_DIR`, else `../shared/airflow` from the repository root. */
export const SPEC_DIR = resolve(process.env.AIRFLOW_OPENAPI_DIR ?? join(__dirname, '..', '..', '..', '..', 'shared', 'airflow'));

export const SPEC_FILES: Record<SpecName, string> = {
  v1: join(SPEC_DIR, 'airflow-2-stable-v1.yaml'),
  v2: join(SPEC_DIR, 'airflow-3-v2.yaml'),
  auth: join(SPEC_DIR, 'airflow-3-simple-auth-manager.yaml'),
};

/** The path of one official file; a clear error when the folder is missing. */
export function specFile(name: SpecName): string {
  const file = SPEC_FILES[name];
  if (!existsSync(file)) {
    throw new Error(`Airflow OpenAPI file not found: ${file}. Set AIRFLOW_OPENAPI_DIR to the folder holding the official files.`);
  }
  return file;
}

type Json = Record<string, unknown>;

/** OpenAPI 3.0 `nullable: true` as JSON Schema; `discriminator` dropped (anyOf already checks). */
function fromOpenApi30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi30);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'nullable' || k === 'discriminator' || k === 'example') continue;
    out[k] = fromOpenApi30(v);
  }
  if ((node as Json).nullable === true) {
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
    if (Array.isArray(out.enum)) return out;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export interface SpecValidator {
  /** Errors of a response body for an operation and status, or [] when it conforms. */
  check(method: string, specPath: string, status: number, body: unknown): string[];
  /** The spec's schema validator for a named component schema. */
  schema(name: string): ValidateFunction;
}

const cache = new Map<SpecName, SpecValidator>();

export function specValidator(name: SpecName): SpecValidator {
  const hit = cache.get(name);
  if (hit) return hit;
  const doc = parse(readFileSync(specFile(name), 'utf8')) as Json;
  const ajv = name === 'v1' ? new Ajv({ strict: false, allErrors: true }) : new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // v1's task instance fields say `format: datetime` (not a JSON Schema format): check them as date-time.
  ajv.addFormat('datetime', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
  const components = name === 'v1' ? fromOpenApi30(doc.components) : doc.components;
  const id = `airflow-${name}`;
  ajv.addSchema({ $id: id, components } as Json);
  const paths = doc.paths as Record<string, Record<string, { responses?: Record<string, Json> }>>;
  const responses = ((doc.components as Json).responses ?? {}) as Record<string, Json>;

  const validator: SpecValidator = {
    schema(schemaName) {
      const fn = ajv.getSchema(`${id}#/components/schemas/${schemaName}`);
      if (!fn) throw new Error(`no schema ${schemaName} in ${name}`);
      return fn;
    },
    check(method, specPath, status, body) {
      const op = paths[specPath]?.[method.toLowerCase()];
      if (!op) return [`the ${name} spec has no operation ${method} ${specPath}`];
      let res = op.responses?.[String(status)] ?? op.responses?.default;
      if (!res) return [`${method} ${specPath} documents no ${status} response`];
      if (typeof res.$ref === 'string') res = responses[res.$ref.split('/').pop()!];
      const schema = ((res.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema as Json | undefined;
      if (!schema) return [];
      const ref = typeof schema.$ref === 'string' ? schema.$ref : undefined;
      const fn = ref
        ? ajv.getSchema(`${id}${ref}`)
        : ajv.compile({ $id: `${id}-inline-${specPath}-${status}`, ...(name === 'v1' ? (fromOpenApi30(schema) as Json) : schema) });
      if (!fn) return [`cannot compile the schema of ${method} ${specPath} ${status}`];
      if (fn(body)) return [];
      return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
  cache.set(name, validator);
  return validator;
}
