/**
 * A local Argo Server for tests and benchmarks: the /api/v1 endpoints a Signalbox adapter uses
 * (workflows, templates, cron workflows, the archive) over real HTTP, with bearer auth, Argo's
 * google.rpc.Status errors, its offset paging, label and field selectors, `fields` trimming, a small
 * controller that runs created workflows, injectable faults, and a recorder of requests that break
 * the official swagger files.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, faultMiddleware } from '@signalbox/airflow-stub';
import express, { type NextFunction, type Request, type Response } from 'express';
import { applyFields, type Fields, keeps, parseFields, renderCron, renderTemplate, renderWorkflow } from './render';
import { ArgoError, ArgoStore, type ArgoStoreOptions, type StubWorkflow, type TaskOutcome, type WatchEventType } from './store';
import { ARGO_SPEC_VERSIONS, type ArgoSpecVersion, argoSwagger } from './swagger';

export interface ArgoStubOptions extends ArgoStoreOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 'argo-test-token'. Every /api/v1 request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** A token that authenticates but gets 403 on everything. */
  forbiddenToken?: string;
  /** What GET /api/v1/version says. Default '3.7.18'. */
  argoVersion?: ArgoSpecVersion;
  /** Default true: every request is checked against both swagger files; violations are recorded. */
  validateRequests?: boolean;
  /** Caps `listOptions.limit` silently. Default 500. */
  maximumLimit?: number;
  /** Render an empty list's `items` as null (what Go's nil slice gives) rather than []. Default false. */
  nullEmptyItems?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body?: unknown;
  status?: number;
}

export interface ArgoStub {
  /** The server root; the API is under /api/v1. */
  url: string;
  namespace: string;
  token: string;
  data: ArgoStore;
  faults: Faults;
  /** The latest requests (at most 10,000), oldest first. */
  requests: LoggedRequest[];
  /** Swagger violations of received requests. */
  violations: { request: string; version: ArgoSpecVersion; errors: string[] }[];
  /** Decides each pod node's final phase when it ends; default: 'Succeeded'. Tests set it to fail a step. */
  taskOutcome: (workflow: { name: string; labels: Record<string, string> }, task: string) => TaskOutcome;
  /** The output parameters each succeeded pod reports (e.g. a step's `outcome`); default none. */
  taskOutputs: (workflow: { name: string; labels: Record<string, string> }, task: string) => Record<string, string> | undefined;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** HTTP status ← gRPC code, as grpc-gateway v1.16 maps them. */
const HTTP: Record<number, number> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  16: 401,
};
/** gRPC code ← HTTP status, for injected faults. */
const GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4 };

const VERSIONS: Record<ArgoSpecVersion, Json> = {
  '3.7.18': { gitCommit: '66e32e5cc367f223e2ecf4fbe852b95eaed83034', buildDate: '2026-08-14T00:00:00Z', goVersion: 'go1.24.6' },
  '4.1.2': { gitCommit: '16a52d67daf2f4a8a76fa8bec02a76a46aa46257', buildDate: '2026-08-21T00:00:00Z', goVersion: 'go1.25.1' },
};

const invalid = (message: string) => new ArgoError(3, message);

function one(q: unknown): string | undefined {
  if (q === undefined) return undefined;
  return Array.isArray(q) ? String(q[0]) : String(q);
}

// ---- selectors ----------------------------------------------------------------------------------

/** A Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-joined. */
export function parseLabelSelector(raw: string): (get: (key: string) => string | undefined) => boolean {
  const terms: Array<(get: (key: string) => string | undefined) => boolean> = [];
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= raw.length; i++) {
    const c = raw[i];
    if (c === '(') depth++;
    if (c === ')') depth--;
    if ((c === ',' && depth === 0) || i === raw.length) {
      parts.push(raw.slice(start, i).trim());
      start = i + 1;
    }
  }
  const KEY = /^[a-zA-Z0-9]([-a-zA-Z0-9_./]*[a-zA-Z0-9])?$/;
  for (const part of parts) {
    if (!part) continue;
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key, op, list] = m;
      if (!KEY.test(key)) throw invalid(`unable to parse requirement: invalid label key "${key}"`);
      const values = new Set(list.split(',').map((v) => v.trim()));
      terms.push(op === 'in' ? (get) => values.has(get(key) ?? '\u0000') : (get) => !values.has(get(key) ?? '\u0000'));
      continue;
    }
    m = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m;
      if (!KEY.test(key)) throw invalid(`unable to parse requirement: invalid label key "${key}"`);
      terms.push(op === '!=' ? (get) => get(key) !== value : (get) => get(key) === value);
      continue;
    }
    m = /^(!?)([^!=\s()]+)$/.exec(part);
    if (m && KEY.test(m[2])) {
      const [, not, key] = m;
      terms.push(not ? (get) => get(key) === undefined : (get) => get(key) !== undefined);
      continue;
    }
    throw invalid(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, identifier`);
  }
  return (get) => terms.every((t) => t(get));
}

interface FieldFilter {
  namespace?: string;
  name?: string;
  startedAfter?: number;
  startedBefore?: number;
  showRemainingItemCount: boolean;
}

/** Only the forms Argo's list accepts: metadata.namespace=, metadata.name=, spec.startedAt> / <, ext.showRemainingItemCount=true. */
export function parseFieldSelector(raw: string | undefined): FieldFilter {
  const out: FieldFilter = { showRemainingItemCount: false };
  for (const term of (raw ?? '').split(',').map((t) => t.trim())) {
    if (!term) continue;
    let m = /^metadata\.(namespace|name)=(.*)$/.exec(term);
    if (m) {
      out[m[1] as 'namespace' | 'name'] = m[2];
      continue;
    }
    m = /^spec\.startedAt([<>])(.+)$/.exec(term);
    if (m) {
      const t = Date.parse(m[2]);
      if (Number.isNaN(t)) throw invalid(`invalid time in field selector: ${m[2]}`);
      if (m[1] === '>') out.startedAfter = t;
      else out.startedBefore = t;
      continue;
    }
    if (term === 'ext.showRemainingItemCount=true') {
      out.showRemainingItemCount = true;
      continue;
    }
    throw invalid(`unsupported requirement ${term}`);
  }
  return out;
}

function parseLimit(query: Request['query'], cap: number): { offset: number; limit: number } {
  const rawLimit = one(query['listOptions.limit']);
  const rawContinue = one(query['listOptions.continue']);
  let limit = 0;
  if (rawLimit !== undefined && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit)) throw invalid(`listOptions.limit: invalid value '${rawLimit}'`);
    limit = Number(rawLimit);
  }
  let offset = 0;
  if (rawContinue !== undefined && rawContinue !== '') {
    if (!/^\d+$/.test(rawContinue)) throw invalid(`listOptions.continue must be an integer offset, got '${rawContinue}'`);
    offset = Number(rawContinue);
  }
  // Without a limit Argo returns everything; the stub still caps it.
  return { offset, limit: limit === 0 ? cap : Math.min(limit, cap) };
}

function rfc3339(raw: string | undefined, name: string): number | undefined {
  if (!raw) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) throw invalid(`${name}: invalid RFC 3339 time '${raw}'`);
  return t;
}

const PAGING_PARAMS = new Set(['listOptions.continue', 'listOptions.limit', 'fields']);

/** A page: unfinished first, then the newest finishedAt. */
function sortPage(page: StubWorkflow[]): StubWorkflow[] {
  return [...page].sort((a, b) => {
    if (a.finishedAt === null || b.finishedAt === null) return (a.finishedAt === null ? 0 : 1) - (b.finishedAt === null ? 0 : 1);
    return b.finishedAt - a.finishedAt;
  });
}

export async function startArgoStub(options: ArgoStubOptions = {}): Promise<ArgoStub> {
  const namespace = options.namespace ?? 'signalbox';
  const token = options.token ?? 'argo-test-token';
  const argoVersion = options.argoVersion ?? '3.7.18';
  const validate = options.validateRequests ?? true;
  const cap = options.maximumLimit ?? 500;
  const data = new ArgoStore({ ...options, namespace });
  const faults = new Faults();
  const requests: LoggedRequest[] = [];
  const violations: ArgoStub['violations'] = [];
  const own = argoSwagger(argoVersion);
  // Compile the Workflow schema (the big one; the others reuse its parts) before the first request,
  // so that request is not the one that waits (~0.35 s per file, once per process).
  for (const v of validate ? ARGO_SPEC_VERSIONS : [argoVersion]) argoSwagger(v).definition('io.argoproj.workflow.v1alpha1.Workflow');

  const sendError = (res: Response, code: number, message: string, status = HTTP[code] ?? 500) => {
    res.status(status).json({ code, message });
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const entry: LoggedRequest = { method: req.method, path: req.path, query: { ...req.query } };
    res.locals.logged = entry;
    requests.push(entry);
    // shift, not splice: V8 drops the first element of a large array in place, splice copies the rest.
    while (requests.length > 10_000) requests.shift();
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    next();
  });

  app.use(
    faultMiddleware(faults, {
      error: (res, status) => sendError(res, GRPC[status] ?? 2, status === 429 ? 'rate limit exceeded' : 'injected failure', status),
      malformed: '{"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"trunc',
    }),
  );

  app.use(express.json({ type: () => true, limit: '20mb' }));

  app.use('/api/v1', (req, res, next) => {
    const entry = res.locals.logged as LoggedRequest;
    if (req.body !== undefined) entry.body = req.body;
    const path = `/api/v1${req.path}`;
    const query = req.query as Record<string, string | string[]>;
    const checked: Partial<Record<ArgoSpecVersion, string[]>> = {};
    if (validate) {
      const qs = new URLSearchParams(req.url.split('?')[1] ?? '').toString();
      for (const v of ARGO_SPEC_VERSIONS) {
        const errors = argoSwagger(v).checkRequest({ method: req.method, path, query, body: req.body });
        checked[v] = errors;
        if (errors.length > 0) violations.push({ request: `${req.method} ${path}${qs ? `?${qs}` : ''}`, version: v, errors });
      }
    }
    res.locals.bodyErrors = () => checked[argoVersion] ?? own.checkRequest({ method: req.method, path, query, body: req.body });
    const auth = req.get('authorization');
    const given = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (options.forbiddenToken && given === options.forbiddenToken) {
      throw new ArgoError(7, `workflows.argoproj.io is forbidden: User "system:serviceaccount:${namespace}:reader" cannot access resource`);
    }
    if (given !== token) throw new ArgoError(16, 'token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/');
    next();
  });

  const bodyOf = (req: Request, res: Response): Json => {
    // grpc-gateway takes an empty body as an empty message.
    if (req.body === undefined) return {};
    const errors = (res.locals.bodyErrors as () => string[])().filter((e) => e.startsWith('body'));
    if (errors.length > 0) throw invalid(`invalid request body: ${errors.join('; ')}`);
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw invalid('the request body must be a JSON object');
    return req.body as Json;
  };

  const listMeta = (offset: number, returned: number, total: number, showRemaining: boolean): Json => {
    const meta: Json = { resourceVersion: data.resourceVersion };
    if (offset + returned < total) {
      meta.continue = String(offset + returned);
      if (showRemaining) meta.remainingItemCount = total - offset - returned;
    }
    return meta;
  };
  const items = (list: Json[]) => (list.length === 0 && options.nullEmptyItems ? null : list);

  /** The matches of recent workflow listings, by query without its paging, with the store's version when taken. */
  const matches = new Map<string, { rv: string; count: number; matched: StubWorkflow[] }>();
  /** Lists workflows of the live set merged with the archive (`archiveOnly`: only the archive). */
  const listWorkflows = (req: Request, ns: string | undefined, archiveOnly: boolean): Json => {
    const q = req.query;
    const fields = parseFields(one(q.fields));
    const { offset, limit } = parseLimit(q, cap);
    const selector = one(q['listOptions.labelSelector']);
    const matchLabels = selector ? parseLabelSelector(selector) : undefined;
    const fieldFilter = parseFieldSelector(one(q['listOptions.fieldSelector']));
    const nameFilter = one(q.nameFilter) ?? 'Exact';
    if (!['Exact', 'Prefix', 'Contains', 'NotEquals'].includes(nameFilter)) throw invalid(`nameFilter must be Exact, Prefix, Contains or NotEquals`);
    const namePrefix = one(q.namePrefix);
    const createdAfter = rfc3339(one(q.createdAfter), 'createdAfter');
    const finishedBefore = rfc3339(one(q.finishedBefore), 'finishedBefore');
    const name = fieldFilter.name;
    const nameOk = (n: string): boolean => {
      if (name === undefined || name === '') return true;
      switch (nameFilter) {
        case 'Prefix':
          return n.startsWith(name);
        case 'Contains':
          return n.includes(name);
        case 'NotEquals':
          return n !== name;
        default:
          return n === name;
      }
    };
    // A continuation of the same listing reuses the first page's matches while nothing changed:
    // filtering every workflow on every page made paging through N workflows cost O(N²).
    const key = JSON.stringify([ns ?? '', archiveOnly, Object.entries(q).filter(([k]) => !PAGING_PARAMS.has(k))]);
    const cached = offset > 0 ? matches.get(key) : undefined;
    const fresh = cached && cached.rv === data.resourceVersion && cached.count === data.workflows.length ? cached.matched : undefined;
    const matched =
      fresh ??
      data.workflows.filter(
        (wf) =>
          (!archiveOnly || wf.archived) &&
          (!ns || wf.namespace === ns) &&
          (!fieldFilter.namespace || wf.namespace === fieldFilter.namespace) &&
          nameOk(wf.name) &&
          (!namePrefix || wf.name.startsWith(namePrefix)) &&
          (createdAfter === undefined || wf.created > createdAfter) &&
          (finishedBefore === undefined || (wf.finishedAt !== null && wf.finishedAt < finishedBefore)) &&
          (fieldFilter.startedAfter === undefined || (wf.startedAt !== null && wf.startedAt > fieldFilter.startedAfter)) &&
          (fieldFilter.startedBefore === undefined || (wf.startedAt !== null && wf.startedAt < fieldFilter.startedBefore)) &&
          (!matchLabels || matchLabels((k) => data.label(wf, k))),
      );
    if (!fresh) {
      matches.delete(key);
      matches.set(key, { rv: data.resourceVersion, count: data.workflows.length, matched });
      if (matches.size > 16) matches.delete(matches.keys().next().value!);
    }
    const page = sortPage(matched.slice(offset, offset + limit));
    const wantNodes = keeps(fields, 'items.status.nodes');
    const list = { metadata: listMeta(offset, page.length, matched.length, fieldFilter.showRemainingItemCount), items: [] as Json[] };
    list.items = page.map((wf) => renderWorkflow(data, wf, { nodes: wantNodes, summary: archiveOnly || wf.archived }));
    const trimmed = applyFields(list, fields);
    if ('items' in trimmed) trimmed.items = items(trimmed.items as Json[]);
    return trimmed;
  };

  const getFields = (req: Request): { fields: Fields | undefined; nodes: boolean } => {
    const fields = parseFields(one(req.query.fields));
    return { fields, nodes: keeps(fields, 'status.nodes') };
  };

  const p = (req: Request, key: string) => String((req.params as Record<string, string>)[key]);

  const api = express.Router();

  api.get('/version', (_req, res) => {
    const v = VERSIONS[argoVersion];
    res.json({
      version: `v${argoVersion}`,
      buildDate: v.buildDate,
      gitCommit: v.gitCommit,
      gitTag: `v${argoVersion}`,
      gitTreeState: 'clean',
      goVersion: v.goVersion,
      compiler: 'gc',
      platform: 'linux/amd64',
    });
  });

  // ---- workflows ------------------------------------------------------------------------------

  // An empty namespace segment lists every namespace (cluster-wide rights in a real cluster).
  api.get('/workflows', (req, res) => {
    res.json(listWorkflows(req, undefined, false));
  });

  api.get('/workflows/:namespace', (req, res) => {
    res.json(listWorkflows(req, p(req, 'namespace'), false));
  });

  api.post('/workflows/:namespace', (req, res) => {
    const body = bodyOf(req, res);
    const workflow = body.workflow as Json | undefined;
    if (!workflow) throw invalid('workflow is required');
    const ns = p(req, 'namespace');
    const dryRunAll = ((body.createOptions as Json | undefined)?.dryRun as string[] | undefined)?.includes('All');
    const wf = data.createWorkflow(ns, workflow, { dryRun: body.serverDryRun === true || dryRunAll });
    if (dryRunAll) return res.json(workflow);
    res.json(renderWorkflow(data, wf, { nodes: true }));
  });

  api.post('/workflows/:namespace/submit', (req, res) => {
    const body = bodyOf(req, res);
    const opts = (body.submitOptions ?? {}) as Json;
    const wf = data.submit(p(req, 'namespace'), String(body.resourceKind ?? ''), String(body.resourceName ?? ''), {
      name: opts.name as string | undefined,
      generateName: opts.generateName as string | undefined,
      parameters: opts.parameters as string[] | undefined,
      labels: opts.labels as string | undefined,
      entryPoint: opts.entryPoint as string | undefined,
      dryRun: opts.serverDryRun === true,
    });
    res.json(renderWorkflow(data, wf, { nodes: true }));
  });

  api.get('/workflows/:namespace/:name', (req, res) => {
    const wf = data.get(p(req, 'namespace'), p(req, 'name'));
    const uid = one(req.query.uid);
    if (!wf || (uid && wf.uid !== uid)) throw new ArgoError(5, `workflows.argoproj.io "${p(req, 'name')}" not found`);
    const { fields, nodes } = getFields(req);
    res.json(applyFields(renderWorkflow(data, wf, { nodes }), fields));
  });

  api.delete('/workflows/:namespace/:name', (req, res) => {
    data.deleteWorkflow(p(req, 'namespace'), p(req, 'name'));
    res.json({});
  });

  api.put('/workflows/:namespace/:name/:action', (req, res) => {
    const ns = p(req, 'namespace');
    const name = p(req, 'name');
    const action = p(req, 'action');
    const body = bodyOf(req, res);
    let wf: StubWorkflow;
    switch (action) {
      case 'stop':
        wf = data.shutdown(ns, name, 'Stop', typeof body.message === 'string' ? body.message : undefined);
        break;
      case 'terminate':
        wf = data.shutdown(ns, name, 'Terminate');
        break;
      case 'retry':
        wf = data.retry(ns, name, { restartSuccessful: body.restartSuccessful === true, nodeFieldSelector: body.nodeFieldSelector as string | undefined });
        break;
      case 'resubmit':
        wf = data.resubmit(ns, name, { parameters: body.parameters as string[] | undefined });
        break;
      default:
        throw new ArgoError(5, `the stub does not serve PUT .../${action}`);
    }
    res.json(renderWorkflow(data, wf, { nodes: true }));
  });

  // Lint passes Argo's error through without a gRPC status: grpc-gateway answers 500.
  api.post('/workflows/:namespace/lint', (req, res) => {
    const body = bodyOf(req, res);
    const workflow = (body.workflow ?? {}) as Json;
    try {
      data.validate((workflow.spec ?? {}) as Json, p(req, 'namespace'));
    } catch (e) {
      if (e instanceof ArgoError) throw new ArgoError(2, e.message);
      throw e;
    }
    res.json(workflow);
  });

  /** The watch: NDJSON, or SSE when `Accept` is exactly text/event-stream (with a `:` keep-alive every 15 s). */
  api.get('/workflow-events/:namespace', (req, res) => {
    const ns = p(req, 'namespace');
    const q = req.query;
    const selector = one(q['listOptions.labelSelector']);
    const matchLabels = selector ? parseLabelSelector(selector) : undefined;
    const fieldFilter = parseFieldSelector(one(q['listOptions.fieldSelector']));
    const fields = parseFields(one(q.fields));
    const wantNodes = keeps(fields, 'result.object.status.nodes');
    const since = one(q['listOptions.resourceVersion']);
    const sse = req.get('accept') === 'text/event-stream';
    const matches = (wf: StubWorkflow) =>
      (!ns || wf.namespace === ns) &&
      (!fieldFilter.name || wf.name === fieldFilter.name) &&
      (!fieldFilter.namespace || wf.namespace === fieldFilter.namespace) &&
      (!matchLabels || matchLabels((k) => data.label(wf, k)));
    const send = (type: WatchEventType, wf: StubWorkflow) => {
      if (!matches(wf)) return;
      const event = applyFields({ result: { type, object: renderWorkflow(data, wf, { nodes: wantNodes }) } }, fields);
      const line = JSON.stringify(event);
      res.write(sse ? `data: ${line}\n\n` : `${line}\n`);
    };
    res.status(200);
    res.setHeader('content-type', sse ? 'text/event-stream' : 'application/json');
    res.flushHeaders();
    // Without a resourceVersion, a Kubernetes watch starts with the current objects as ADDED.
    if (!since || since === '0') for (const wf of data.workflows) if (wf.live) send('ADDED', wf);
    const off = data.watch(send);
    const keepAlive = sse ? setInterval(() => res.write(':\n\n'), 15_000) : undefined;
    res.on('close', () => {
      off();
      clearInterval(keepAlive);
    });
  });

  // ---- templates and cron workflows -----------------------------------------------------------

  const pageOf = <T extends { namespace: string; name: string; labels: Record<string, string> }>(req: Request, all: Iterable<T>, extra?: (x: T) => boolean) => {
    const { offset, limit } = parseLimit(req.query, cap);
    const selector = one(req.query['listOptions.labelSelector']);
    const matchLabels = selector ? parseLabelSelector(selector) : undefined;
    const ns = p(req, 'namespace');
    const matched = [...all].filter((x) => x.namespace === ns && (!matchLabels || matchLabels((k) => x.labels[k])) && (!extra || extra(x)));
    const page = matched.slice(offset, offset + limit);
    return { metadata: listMeta(offset, page.length, matched.length, false), page };
  };

  api.get('/workflow-templates/:namespace', (req, res) => {
    const pattern = one(req.query.namePattern);
    const { metadata, page } = pageOf(req, data.templates.values(), pattern ? (t) => t.name.includes(pattern) : undefined);
    res.json({ metadata, items: items(page.map(renderTemplate)) });
  });
  api.post('/workflow-templates/:namespace', (req, res) => {
    const body = bodyOf(req, res);
    if (!body.template) throw invalid('template is required');
    res.json(renderTemplate(data.createTemplate(p(req, 'namespace'), body.template as Json)));
  });
  api.get('/workflow-templates/:namespace/:name', (req, res) => {
    const t = data.templates.get(`${p(req, 'namespace')}/${p(req, 'name')}`);
    if (!t) throw new ArgoError(5, `workflowtemplates.argoproj.io "${p(req, 'name')}" not found`);
    res.json(renderTemplate(t));
  });
  api.delete('/workflow-templates/:namespace/:name', (req, res) => {
    if (!data.templates.delete(`${p(req, 'namespace')}/${p(req, 'name')}`))
      throw new ArgoError(5, `workflowtemplates.argoproj.io "${p(req, 'name')}" not found`);
    data.bump();
    res.json({});
  });

  api.get('/cron-workflows/:namespace', (req, res) => {
    const { metadata, page } = pageOf(req, data.crons.values());
    res.json({ metadata, items: items(page.map(renderCron)) });
  });
  api.post('/cron-workflows/:namespace', (req, res) => {
    const body = bodyOf(req, res);
    if (!body.cronWorkflow) throw invalid('cronWorkflow is required');
    res.json(renderCron(data.createCron(p(req, 'namespace'), body.cronWorkflow as Json)));
  });
  api.get('/cron-workflows/:namespace/:name', (req, res) => {
    const c = data.crons.get(`${p(req, 'namespace')}/${p(req, 'name')}`);
    if (!c) throw new ArgoError(5, `cronworkflows.argoproj.io "${p(req, 'name')}" not found`);
    res.json(renderCron(c));
  });
  api.delete('/cron-workflows/:namespace/:name', (req, res) => {
    if (!data.crons.delete(`${p(req, 'namespace')}/${p(req, 'name')}`)) throw new ArgoError(5, `cronworkflows.argoproj.io "${p(req, 'name')}" not found`);
    data.bump();
    res.json({});
  });
  api.put('/cron-workflows/:namespace/:name/:action', (req, res) => {
    const action = p(req, 'action');
    if (action !== 'suspend' && action !== 'resume') throw new ArgoError(5, `the stub does not serve PUT .../${action}`);
    bodyOf(req, res);
    res.json(renderCron(data.setCronSuspended(p(req, 'namespace'), p(req, 'name'), action === 'suspend')));
  });

  // ---- the archive ----------------------------------------------------------------------------

  api.get('/archived-workflows', (req, res) => {
    res.json(listWorkflows(req, one(req.query.namespace), true));
  });
  api.delete('/archived-workflows/:uid', (req, res) => {
    data.deleteArchived(p(req, 'uid'));
    res.json({});
  });
  api.get('/archived-workflows/:uid', (req, res) => {
    const wf = data.byUid(p(req, 'uid'));
    if (!wf?.archived) throw new ArgoError(5, `archived workflow ${p(req, 'uid')} not found`);
    res.json(renderWorkflow(data, wf, { nodes: true }));
  });

  api.use((req) => {
    throw new ArgoError(5, `Not Found: ${req.method} /api/v1${req.path}`);
  });

  app.use('/api/v1', api);
  app.use((req, res) => sendError(res, 5, `Not Found: ${req.method} ${req.path}`));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ArgoError) return sendError(res, err.code, err.message);
    const e = err as { type?: string; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 3, `invalid character in the request body: ${e.message ?? ''}`);
    if (e.type === 'entity.too.large') return sendError(res, 8, 'request body too large', 413);
    sendError(res, 13, `internal error: ${e.message ?? String(err)}`);
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 30_000;
  const timer = setInterval(() => data.tick(), 20);
  timer.unref();
  const addr = server.address() as AddressInfo;

  return {
    url: `http://${addr.address}:${addr.port}`,
    namespace,
    token,
    data,
    faults,
    requests,
    violations,
    get taskOutcome() {
      return data.taskOutcome;
    },
    set taskOutcome(fn) {
      data.taskOutcome = fn;
    },
    get taskOutputs() {
      return data.taskOutputs;
    },
    set taskOutputs(fn) {
      data.taskOutputs = fn;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(timer);
        server.close((err) => (err ? reject(err) : resolve()));
        // Hung requests and keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  };
}
