/**
 * The Argo Server REST API (`/api/v1`), one namespace: bearer auth, timeouts, bounded retries with
 * backoff for idempotent calls, and every failure translated into a DomainError that keeps Argo's
 * status and message (`provider: {name: 'argo', status, message}`), as the Airflow adapter does.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { DomainError, providerStatusError, retryAfterMs, type TransportFailure, transportFailure } from '@signalbox/core';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { CronWorkflow, Version, Workflow, WorkflowTemplate } from './types';

export interface ArgoHttpOptions {
  /** Per request; a request that sends nothing back for this long fails with `timeout`. */
  timeoutMs: number;
  /** Extra attempts of an idempotent call after 429, 5xx, a timeout or a dropped connection. */
  retries: number;
  /** First backoff step; each retry doubles it, with jitter. */
  retryBaseMs: number;
  /** Longest wait between attempts; a Retry-After beyond it ends the retries. */
  maxRetryDelayMs: number;
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
}

export const DEFAULT_HTTP_OPTIONS: ArgoHttpOptions = { timeoutMs: 30_000, retries: 3, retryBaseMs: 500, maxRetryDelayMs: 30_000 };

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  params?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** May be sent again after a failure that could have reached the server. */
  idempotent: boolean;
  /** The code of a 404, e.g. WORKFLOW_NOT_FOUND. */
  notFoundCode?: string;
  /** The code of a 409, e.g. WORKFLOW_EXISTS. */
  conflictCode?: string;
}

export interface Page<T> {
  items: T[];
  /** The token of the next page; null on the last one. */
  continue: string | null;
}

const MAX_MESSAGE = 500;

/** Argo's own words from an error body: a google.rpc.Status `{code, message}`, or a stream's `{error: {message}}`. */
export function argoMessage(status: number, text: string): string {
  let message: string | undefined;
  try {
    const j = JSON.parse(text) as Record<string, unknown> | null;
    if (j && typeof j === 'object') {
      if (typeof j.message === 'string' && j.message) message = j.message;
      else if (typeof j.error === 'string' && j.error) message = j.error;
      else if (j.error && typeof j.error === 'object' && typeof (j.error as { message?: unknown }).message === 'string')
        message = (j.error as { message: string }).message;
    }
  } catch {
    // not JSON: an HTML page of a proxy or an ingress
  }
  if (!message) message = text.trim() && !text.trimStart().startsWith('<') ? text.trim() : `HTTP ${status}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

export function badResponse(status: number | null, message: string, cause?: unknown): DomainError {
  return new DomainError('bad_gateway', 'PROVIDER_BAD_RESPONSE', `Argo answered something unreadable: ${message}`, {
    cause,
    provider: { name: 'argo', status, message },
  });
}

/** How an axios request that got no answer failed; undefined when the server answered. */
const transportOf = (err: unknown): TransportFailure | undefined =>
  isAxiosError(err) && !err.response ? transportFailure(err.code ?? (err.cause as { code?: string } | undefined)?.code) : undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const enc = encodeURIComponent;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Argo Server API of one namespace. */
export class ArgoClient {
  private readonly http: AxiosInstance;
  private readonly options: ArgoHttpOptions;
  private readonly ns: string;

  constructor(
    readonly baseUrl: string,
    readonly namespace: string,
    token: string,
    options: Partial<ArgoHttpOptions> = {},
  ) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
    this.ns = enc(namespace);
    this.http = axios.create({
      baseURL: baseUrl,
      timeout: this.options.timeoutMs,
      httpAgent: this.options.httpAgent,
      httpsAgent: this.options.httpsAgent,
      // Statuses and bodies are judged here, so a malformed body is told apart from a refused call.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
      maxRedirects: 0,
    });
  }

  private backoff(attempt: number): number {
    const step = Math.min(this.options.maxRetryDelayMs, this.options.retryBaseMs * 2 ** attempt);
    return step / 2 + Math.random() * (step / 2);
  }

  private async call<T>(call: Call): Promise<{ status: number; data: T }> {
    let attempt = 0;
    for (;;) {
      let res: AxiosResponse<string>;
      try {
        res = await this.http.request<string>({ method: call.method, url: call.path, params: call.params, data: call.body });
      } catch (err) {
        const transport = transportOf(err);
        if (!transport) throw err;
        // Nothing listens at a refused address: waiting through the backoff only delays the answer.
        if (attempt < this.options.retries && call.idempotent && transport !== 'refused') {
          await sleep(this.backoff(attempt++));
          continue;
        }
        throw this.transportError(transport, call, err);
      }
      if ((res.status === 429 || res.status >= 500) && call.idempotent && attempt < this.options.retries) {
        const wait = retryAfterMs(res.headers['retry-after']);
        if (wait === undefined || wait <= this.options.maxRetryDelayMs) {
          await sleep(wait ?? this.backoff(attempt));
          attempt++;
          continue;
        }
      }
      const text = typeof res.data === 'string' ? res.data : '';
      if (res.status >= 300) throw this.statusError(res.status, text, call);
      let data: unknown;
      try {
        data = text === '' ? null : JSON.parse(text);
      } catch (err) {
        throw badResponse(
          res.status,
          `${call.method} ${call.path} answered ${res.status} with a body that is not valid JSON (${text.length} bytes: ${JSON.stringify(text.slice(0, 60))})`,
          err,
        );
      }
      return { status: res.status, data: data as T };
    }
  }

  private statusError(status: number, text: string, call: Call): DomainError {
    const message = argoMessage(status, text);
    let { kind, code } = providerStatusError(status);
    if (kind === 'not_found' && call.notFoundCode) code = call.notFoundCode;
    if (kind === 'conflict' && call.conflictCode) code = call.conflictCode;
    const what = `${call.method} ${call.path}`;
    const summary =
      code === 'PROVIDER_AUTH_FAILED'
        ? `Argo refused the connector's token (${status}) on ${what}: ${message}`
        : `Argo answered ${status} to ${what}: ${message}`;
    return new DomainError(kind, code, summary, { provider: { name: 'argo', status, message } });
  }

  private transportError(transport: TransportFailure, call: Call, err: unknown): DomainError {
    const detail = err instanceof Error ? err.message : String(err);
    const what = `${call.method} ${call.path}`;
    if (transport === 'timeout') {
      return new DomainError('timeout', 'PROVIDER_TIMEOUT', `Argo did not answer ${what} within ${this.options.timeoutMs} ms`, {
        cause: err,
        provider: { name: 'argo', status: null, message: `no answer within ${this.options.timeoutMs} ms` },
      });
    }
    const maybeDone = !call.idempotent && transport === 'unreachable' ? ' The request may have reached Argo; sending it again with the same name is safe.' : '';
    return new DomainError('unavailable', 'PROVIDER_UNREACHABLE', `Argo at ${this.baseUrl} could not be reached for ${what}: ${detail}.${maybeDone}`, {
      cause: err,
      provider: { name: 'argo', status: null, message: detail },
    });
  }

  private async object<T>(call: Call, what: string): Promise<T> {
    const res = await this.call<unknown>(call);
    if (!isObject(res.data) || !isObject(res.data.metadata)) throw badResponse(res.status, `${call.method} ${call.path} answered without a ${what}`);
    return res.data as T;
  }

  private async page<T>(call: Call): Promise<Page<T>> {
    const res = await this.call<unknown>(call);
    const data = res.data;
    if (!isObject(data)) throw badResponse(res.status, `${call.method} ${call.path} answered without a list`);
    const items = data.items ?? [];
    if (!Array.isArray(items) || !items.every((i) => isObject(i) && isObject(i.metadata)))
      throw badResponse(res.status, `${call.method} ${call.path} answered an "items" that is not a list of objects`);
    const meta = isObject(data.metadata) ? data.metadata : {};
    const next = typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : null;
    return { items: items as T[], continue: next };
  }

  private wf = (name: string) => `/api/v1/workflows/${this.ns}/${enc(name)}`;

  async version(): Promise<{ version: string }> {
    const res = await this.call<Version>({ method: 'GET', path: '/api/v1/version', idempotent: true });
    if (!isObject(res.data) || typeof res.data.version !== 'string') throw badResponse(res.status, 'GET /api/v1/version answered without a version');
    return { version: res.data.version };
  }

  /** POST /workflows/{ns}; never resent (a lost answer is resolved by the name: 409 WORKFLOW_EXISTS). */
  createWorkflow(workflow: Workflow, options: { serverDryRun?: boolean } = {}): Promise<Workflow> {
    return this.object<Workflow>(
      {
        method: 'POST',
        path: `/api/v1/workflows/${this.ns}`,
        body: { namespace: this.namespace, workflow, ...(options.serverDryRun ? { serverDryRun: true } : {}) },
        idempotent: false,
        conflictCode: 'WORKFLOW_EXISTS',
      },
      'workflow',
    );
  }

  getWorkflow(name: string, fields?: string): Promise<Workflow> {
    return this.object<Workflow>({ method: 'GET', path: this.wf(name), params: { fields }, idempotent: true, notFoundCode: 'WORKFLOW_NOT_FOUND' }, 'workflow');
  }

  listWorkflows(q: {
    labelSelector?: string;
    fieldSelector?: string;
    limit: number;
    continue?: string;
    fields?: string;
    createdAfter?: string;
  }): Promise<Page<Workflow>> {
    return this.page<Workflow>({
      method: 'GET',
      path: `/api/v1/workflows/${this.ns}`,
      params: {
        'listOptions.labelSelector': q.labelSelector,
        'listOptions.fieldSelector': q.fieldSelector,
        'listOptions.limit': q.limit,
        'listOptions.continue': q.continue,
        fields: q.fields,
        createdAfter: q.createdAfter,
      },
      idempotent: true,
    });
  }

  /** PUT …/stop: the workflow fails with exit handlers still run. Stopping twice changes nothing, so it may be resent. */
  stopWorkflow(name: string, message?: string): Promise<Workflow> {
    return this.object<Workflow>(
      {
        method: 'PUT',
        path: `${this.wf(name)}/stop`,
        body: { name, namespace: this.namespace, ...(message ? { message } : {}) },
        idempotent: true,
        notFoundCode: 'WORKFLOW_NOT_FOUND',
      },
      'workflow',
    );
  }

  terminateWorkflow(name: string): Promise<Workflow> {
    return this.object<Workflow>(
      { method: 'PUT', path: `${this.wf(name)}/terminate`, body: { name, namespace: this.namespace }, idempotent: true, notFoundCode: 'WORKFLOW_NOT_FOUND' },
      'workflow',
    );
  }

  /** PUT …/retry; never resent (a second retry could restart what the first set going). */
  retryWorkflow(name: string, body: { restartSuccessful?: boolean; nodeFieldSelector?: string; parameters?: string[] } = {}): Promise<Workflow> {
    return this.object<Workflow>(
      {
        method: 'PUT',
        path: `${this.wf(name)}/retry`,
        body: { name, namespace: this.namespace, ...body },
        idempotent: false,
        notFoundCode: 'WORKFLOW_NOT_FOUND',
      },
      'workflow',
    );
  }

  async deleteWorkflow(name: string): Promise<void> {
    await this.call<unknown>({ method: 'DELETE', path: this.wf(name), idempotent: true, notFoundCode: 'WORKFLOW_NOT_FOUND' });
  }

  /** POST /workflows/{ns}/submit from a WorkflowTemplate or CronWorkflow; never resent. */
  submit(
    kind: 'WorkflowTemplate' | 'CronWorkflow',
    resourceName: string,
    options: { name?: string; parameters?: string[]; labels?: string },
  ): Promise<Workflow> {
    const submitOptions: Record<string, unknown> = {};
    if (options.name) submitOptions.name = options.name;
    if (options.parameters?.length) submitOptions.parameters = options.parameters;
    if (options.labels) submitOptions.labels = options.labels;
    return this.object<Workflow>(
      {
        method: 'POST',
        path: `/api/v1/workflows/${this.ns}/submit`,
        body: { namespace: this.namespace, resourceKind: kind, resourceName, submitOptions },
        idempotent: false,
        notFoundCode: kind === 'WorkflowTemplate' ? 'WORKFLOW_TEMPLATE_NOT_FOUND' : 'CRON_WORKFLOW_NOT_FOUND',
        conflictCode: 'WORKFLOW_EXISTS',
      },
      'workflow',
    );
  }

  listWorkflowTemplates(q: { limit: number; continue?: string }): Promise<Page<WorkflowTemplate>> {
    return this.page<WorkflowTemplate>({
      method: 'GET',
      path: `/api/v1/workflow-templates/${this.ns}`,
      params: { 'listOptions.limit': q.limit, 'listOptions.continue': q.continue },
      idempotent: true,
    });
  }

  getWorkflowTemplate(name: string): Promise<WorkflowTemplate> {
    return this.object<WorkflowTemplate>(
      { method: 'GET', path: `/api/v1/workflow-templates/${this.ns}/${enc(name)}`, idempotent: true, notFoundCode: 'WORKFLOW_TEMPLATE_NOT_FOUND' },
      'workflow template',
    );
  }

  listCronWorkflows(q: { limit: number; continue?: string }): Promise<Page<CronWorkflow>> {
    return this.page<CronWorkflow>({
      method: 'GET',
      path: `/api/v1/cron-workflows/${this.ns}`,
      params: { 'listOptions.limit': q.limit, 'listOptions.continue': q.continue },
      idempotent: true,
    });
  }

  private cronAction(name: string, action: 'suspend' | 'resume'): Promise<CronWorkflow> {
    return this.object<CronWorkflow>(
      {
        method: 'PUT',
        path: `/api/v1/cron-workflows/${this.ns}/${enc(name)}/${action}`,
        body: { name, namespace: this.namespace },
        idempotent: true,
        notFoundCode: 'CRON_WORKFLOW_NOT_FOUND',
      },
      'cron workflow',
    );
  }

  suspendCronWorkflow(name: string): Promise<CronWorkflow> {
    return this.cronAction(name, 'suspend');
  }

  resumeCronWorkflow(name: string): Promise<CronWorkflow> {
    return this.cronAction(name, 'resume');
  }

  getArchivedWorkflow(uid: string): Promise<Workflow> {
    return this.object<Workflow>(
      {
        method: 'GET',
        path: `/api/v1/archived-workflows/${enc(uid)}`,
        params: { namespace: this.namespace },
        idempotent: true,
        notFoundCode: 'WORKFLOW_NOT_FOUND',
      },
      'workflow',
    );
  }
}
