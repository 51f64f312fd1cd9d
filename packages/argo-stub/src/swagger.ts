/**
 * Checks requests and responses against the official Argo Server swagger files (Swagger 2.0), so
 * the stub, and any client tested against it, keep to the real API's contract. The files are not
 * kept in this repository: they are read from `ARGO_SWAGGER_DIR`, else from `shared/argo` beside the
 * checkout (where CI and the developers' machines have them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type ArgoSpecVersion = '3.7.18' | '4.1.2';
export const ARGO_SPEC_VERSIONS: readonly ArgoSpecVersion[] = ['3.7.18', '4.1.2'];

/** Where the official files are: `ARGO_SWAGGER_DIR`, else `../shared/argo` from the repository root. */
export const ARGO_SWAGGER_DIR = resolve(process.env.ARGO_SWAGGER_DIR ?? join(__dirname, '..', '..', '..', '..', 'shared', 'argo'));

export const ARGO_SWAGGER_FILES: Record<ArgoSpecVersion, string> = {
  '3.7.18': join(ARGO_SWAGGER_DIR, 'argo-workflows-swagger.json'),
  '4.1.2': join(ARGO_SWAGGER_DIR, 'argo-workflows-swagger-4.1.2.json'),
};

/** The path of one official file; a clear error when it is missing. */
export function argoSwaggerFile(version: ArgoSpecVersion): string {
  const file = ARGO_SWAGGER_FILES[version];
  if (!file) throw new Error(`unknown Argo swagger version ${version}; known: ${ARGO_SPEC_VERSIONS.join(', ')}`);
  if (!existsSync(file)) {
    throw new Error(`Argo swagger file not found: ${file}. Set ARGO_SWAGGER_DIR to the folder holding the official files.`);
  }
  return file;
}

export interface ArgoRequest {
  method: string;
  /** The concrete path, e.g. /api/v1/workflows/ns/name (no query). */
  path: string;
  query: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface ArgoOperationMatch {
  /** The swagger path template, e.g. /api/v1/workflows/{namespace}/{name}. */
  template: string;
  params: Record<string, string>;
  operationId?: string;
}

export interface ArgoSwagger {
  readonly version: ArgoSpecVersion;
  /** The operation a method and concrete path map to, or undefined. */
  match(method: string, path: string): ArgoOperationMatch | undefined;
  /** Violations of a request (path, method, query parameters, body), or [] when it conforms. */
  checkRequest(req: ArgoRequest): string[];
  /** Violations of a response body for a status (or the `default` response), or [] when it conforms. */
  checkResponse(method: string, path: string, status: number, body: unknown): string[];
  /** A validator for a named definition, e.g. `io.argoproj.workflow.v1alpha1.Workflow`. */
  definition(name: string): ValidateFunction;
}

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'body' | 'header' | 'formData';
  required?: boolean;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: { type?: string; format?: string; enum?: unknown[] };
  schema?: Json;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses?: Record<string, { schema?: Json }>;
}

interface PathEntry {
  template: string;
  regex: RegExp;
  names: string[];
  literals: number;
  ops: Record<string, Operation>;
}

const INTEGER = /^[-+]?\d+$/;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function explain(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((e) => {
    const at = `${where}${e.instancePath}`;
    if (e.keyword === 'required') return `${at}: missing required property '${(e.params as { missingProperty: string }).missingProperty}'`;
    if (e.keyword === 'type' && e.schemaPath.includes('intstr.IntOrString')) {
      // Argo itself takes a number here, but both swagger files declare IntOrString as a string.
      return `${at}: must be string (IntOrString is declared as a string in the swagger; send "2", not 2)`;
    }
    if (e.keyword === 'type') return `${at}: must be ${(e.params as { type: string }).type}`;
    if (e.keyword === 'enum') return `${at}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    return `${at}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
  });
}

/** Rewrites local `#/definitions/...` refs of an inline schema to the document schema's id. */
function rebase(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rebase(n, id));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rebase(v, id);
  return out;
}

function checkScalar(name: string, value: string, p: { type?: string; format?: string; enum?: unknown[] }): string | undefined {
  if (p.type === 'integer' || ((p.type === 'string' || p.type === undefined) && (p.format === 'int64' || p.format === 'int32' || p.format === 'uint64'))) {
    if (!INTEGER.test(value)) return `query parameter ${name}: '${value}' is not an integer (${p.type}/${p.format ?? 'integer'})`;
  } else if (p.type === 'number') {
    if (value.trim() === '' || Number.isNaN(Number(value))) return `query parameter ${name}: '${value}' is not a number`;
  } else if (p.type === 'boolean') {
    if (value !== 'true' && value !== 'false') return `query parameter ${name}: '${value}' is not a boolean`;
  }
  if (p.enum && !p.enum.includes(value)) return `query parameter ${name}: '${value}' is not one of ${JSON.stringify(p.enum)}`;
  return undefined;
}

const cache = new Map<ArgoSpecVersion, ArgoSwagger>();

/** The checker for one version of the official file; built once per version (the file is read and compiled lazily). */
export function argoSwagger(version: ArgoSpecVersion): ArgoSwagger {
  const hit = cache.get(version);
  if (hit) return hit;
  const doc = JSON.parse(readFileSync(argoSwaggerFile(version), 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Swagger 2.0 integer formats that ajv-formats does not know. Query values are checked by hand
  // above; in bodies these formats carry no more than the declared type does.
  for (const f of ['int32', 'int64', 'uint64']) ajv.addFormat(f, true);
  const id = `argo-swagger-${version}`;
  ajv.addSchema({ $id: id, definitions: doc.definitions } as Json);

  const entries: PathEntry[] = Object.entries(doc.paths as Record<string, Json>).map(([template, item]) => {
    const names: string[] = [];
    const segments = template.split('/');
    const pattern = segments
      .map((s) => {
        const m = /^\{(.+)\}$/.exec(s);
        if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]);
        return '([^/]*)';
      })
      .join('/');
    const ops: Record<string, Operation> = {};
    const shared = (item.parameters ?? []) as Parameter[];
    for (const m of METHODS) {
      const op = item[m] as Operation | undefined;
      if (op) ops[m] = { ...op, parameters: [...shared, ...(op.parameters ?? [])] };
    }
    return { template, regex: new RegExp(`^${pattern}$`), names, literals: segments.filter((s) => !s.startsWith('{')).length, ops };
  });
  // Literal segments win over parameters (…/{namespace}/submit before …/{namespace}/{name}).
  entries.sort((a, b) => b.literals - a.literals);

  const validators = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: Json): ValidateFunction => {
    let fn = validators.get(key);
    if (fn) return fn;
    if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/definitions/')) {
      fn = ajv.getSchema(`${id}${schema.$ref}`);
      if (!fn) throw new Error(`${version}: cannot resolve ${schema.$ref}`);
    } else {
      fn = ajv.compile(rebase(schema, id) as Json);
    }
    validators.set(key, fn);
    return fn;
  };

  const find = (method: string, path: string): { entry: PathEntry; op?: Operation; params: Record<string, string> } | undefined => {
    let pathOnly: { entry: PathEntry; params: Record<string, string> } | undefined;
    for (const entry of entries) {
      const m = entry.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      entry.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]);
      });
      const op = entry.ops[method.toLowerCase()];
      if (op) return { entry, op, params };
      pathOnly ??= { entry, params };
    }
    return pathOnly;
  };

  const swagger: ArgoSwagger = {
    version,
    match(method, path) {
      const hit = find(method, path);
      if (!hit?.op) return undefined;
      return { template: hit.entry.template, params: hit.params, operationId: hit.op.operationId };
    },
    checkRequest(req) {
      const hit = find(req.method, req.path);
      if (!hit) return [`${version}: no path ${req.path} in the swagger`];
      const { entry, op, params } = hit;
      if (!op) return [`${version}: ${entry.template} has no ${req.method.toUpperCase()} operation`];
      const errors: string[] = [];
      const declared = op.parameters ?? [];
      for (const p of declared.filter((x) => x.in === 'path')) {
        if (!params[p.name]) errors.push(`path parameter ${p.name} of ${entry.template} is empty`);
      }
      const queryParams = new Map(declared.filter((x) => x.in === 'query').map((x) => [x.name, x]));
      for (const [name, raw] of Object.entries(req.query)) {
        if (raw === undefined) continue;
        const p = queryParams.get(name);
        if (!p) {
          errors.push(`query parameter ${name} is not declared for ${req.method.toUpperCase()} ${entry.template}`);
          continue;
        }
        const values = Array.isArray(raw) ? raw : [raw];
        if (p.type === 'array') {
          for (const v of values) {
            const e = checkScalar(name, v, p.items ?? {});
            if (e) errors.push(e);
          }
        } else {
          if (values.length > 1) errors.push(`query parameter ${name} is given ${values.length} times but is not an array`);
          const e = checkScalar(name, values[0], p);
          if (e) errors.push(e);
        }
      }
      for (const p of queryParams.values()) {
        if (p.required && req.query[p.name] === undefined) errors.push(`query parameter ${p.name} is required`);
      }
      const bodyParam = declared.find((x) => x.in === 'body');
      if (bodyParam?.schema) {
        if (req.body === undefined) {
          if (bodyParam.required) errors.push(`${req.method.toUpperCase()} ${entry.template} needs a JSON body`);
        } else {
          const fn = compile(`req ${req.method} ${entry.template}`, bodyParam.schema);
          if (!fn(req.body)) errors.push(...explain(fn.errors, 'body'));
        }
      } else if (req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && Object.keys(req.body).length === 0)) {
        errors.push(`${req.method.toUpperCase()} ${entry.template} takes no body`);
      }
      return errors;
    },
    checkResponse(method, path, status, body) {
      const hit = find(method, path) ?? find(method, path.split('?')[0]);
      if (!hit) return [`${version}: no path ${path} in the swagger`];
      if (!hit.op) return [`${version}: ${hit.entry.template} has no ${method.toUpperCase()} operation`];
      const res = hit.op.responses?.[String(status)] ?? hit.op.responses?.default;
      if (!res) return [`${version}: ${method.toUpperCase()} ${hit.entry.template} documents no ${status} response`];
      if (!res.schema) return [];
      const fn = compile(`res ${method} ${hit.entry.template} ${status in (hit.op.responses ?? {}) ? status : 'default'}`, res.schema);
      return fn(body) ? [] : explain(fn.errors, 'response');
    },
    definition(name) {
      return compile(`def ${name}`, { $ref: `#/definitions/${name}` });
    },
  };
  cache.set(version, swagger);
  return swagger;
}
