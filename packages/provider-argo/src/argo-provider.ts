import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  type ChangePage,
  type Connector,
  type ConnectorConfig,
  conflict,
  DomainError,
  isDomainError,
  type OrchestrationProvider,
  type ProviderFactory,
  type ProviderInfo,
  type ProviderPipeline,
  type ProviderRun,
  type TriggerRequest,
  workflowNameOf,
} from '@signalbox/core';
import { ArgoClient, type ArgoHttpOptions, type Page } from './argo-http';
import { type ArgoConfig, checkArgoConfig, readArgoConfig } from './config';
import {
  cronPipeline,
  isFinishedPhase,
  isSynced,
  type PipelineKind,
  parsePipelineId,
  pipelineOfWorkflow,
  runIdOfWorkflow,
  runOf,
  TRIGGERED_RUN_LABEL,
  taskRunsOf,
  templatePipeline,
} from './mapping';
import { LABEL, type Workflow } from './types';

export interface ArgoProviderOptions {
  /** Per request; a request that sends nothing back for this long fails with `timeout`. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts of an idempotent request after 429, 5xx or a connection failure. Default 3. */
  retries?: number;
  /** First backoff step, doubled per retry, with jitter. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest wait between attempts; a longer Retry-After ends the retries. Default 30 s. */
  maxRetryDelayMs?: number;
  /** `listOptions.limit` of every list. Default 100. */
  pageSize?: number;
  /**
   * An incremental listing asks for the workflows created after its cursor's time less this much,
   * for a clock skew between Argo's API server and ours. Default 5 minutes.
   */
  overlapMs?: number;
  /** How long cancelRun waits for a stopped workflow to reach a final phase before it answers. Default 10 s. */
  cancelWaitMs?: number;
  /** Our clock. Default the system clock. */
  now?: () => Date;
}

type Shared = Required<Omit<ArgoProviderOptions, 'timeoutMs' | 'retries' | 'retryBaseMs' | 'maxRetryDelayMs'>> & { http: ArgoHttpOptions };

/** The incremental cursor (docs/argo.md): the listing's time and the workflows unfinished then. */
interface Cursor {
  v: 1;
  /** When the listing that wrote it began (our clock). */
  at: string;
  /** Names of the synced workflows that were not finished at that listing. */
  open: string[];
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(s: string | null): Cursor | undefined {
  if (!s) return undefined;
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (c?.v !== 1 || typeof c.at !== 'string' || Number.isNaN(Date.parse(c.at)) || !Array.isArray(c.open)) return undefined;
    if (!c.open.every((n) => typeof n === 'string')) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

// Workflows Signalbox runs itself (managed runs) are not synced: they are the engine's.
const NOT_MANAGED = `!${LABEL.signalboxRunId}`;

// Small answers: no spec but its arguments, no nodes for the runs pass; nodes alone for the task pass.
const RUN_FIELDS = [
  'metadata',
  'items.metadata.name',
  'items.metadata.uid',
  'items.metadata.labels',
  'items.metadata.annotations',
  'items.metadata.creationTimestamp',
  'items.spec.arguments',
  'items.status.phase',
  'items.status.startedAt',
  'items.status.finishedAt',
  'items.status.message',
].join(',');
const TASK_FIELDS = ['metadata', 'items.metadata.name', 'items.metadata.uid', 'items.metadata.labels', 'items.status.phase', 'items.status.nodes'].join(',');
const GET_RUN_FIELDS = '-status.nodes,-spec.templates';
// The task runs pass's GET of an item listed without nodes: what its list asks for, no spec or stored templates.
const GET_TASK_FIELDS = ['metadata.name', 'metadata.uid', 'metadata.labels', 'status.phase', 'status.nodes'].join(',');

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A run external id is a workflow name, or a Signalbox run id (never a DNS name: it has `__`) whose workflow is workflowNameOf(it). */
const workflowNameFor = (runExternalId: string) =>
  runExternalId.length <= 253 && DNS_SUBDOMAIN.test(runExternalId) ? runExternalId : workflowNameOf(runExternalId);

/** How many workflows a listing reads with GET at once (the items a list served without nodes). */
const READ_CONCURRENCY = 8;

/** `fn` of each item, at most `limit` at a time, the results in the items' order; the first failure fails all. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same failure under another code (a client's WORKFLOW_NOT_FOUND is the port's RUN_NOT_FOUND). */
function recode(err: unknown, kind: DomainError['kind'], code: string): unknown {
  if (!isDomainError(err) || err.kind !== kind) return err;
  return new DomainError(err.kind, code, err.message, { cause: err, provider: err.provider, details: err.details });
}

const runNotFound = (pipeline: string, run: string) =>
  new DomainError('not_found', 'RUN_NOT_FOUND', `run '${run}' of pipeline '${pipeline}' was not found in Argo`);
const pipelineNotFound = (pipeline: string) =>
  new DomainError(
    'not_found',
    'PIPELINE_NOT_FOUND',
    `pipeline '${pipeline}' was not found in Argo (an Argo pipeline is workflowtemplate/<name> or cronworkflow/<name>)`,
  );

/** An Argo Server namespace, as the core sees an orchestrator: WorkflowTemplates and CronWorkflows, their Workflows and nodes. */
export class ArgoProvider implements OrchestrationProvider {
  readonly client: ArgoClient;

  constructor(
    readonly config: ArgoConfig,
    private readonly shared: Shared,
  ) {
    this.client = new ArgoClient(config.baseUrl, config.namespace, config.token, shared.http);
  }

  async check(): Promise<ProviderInfo> {
    const { version } = await this.client.version();
    // The version may be open to anyone; a one-item list proves the token and its RBAC in the namespace.
    await this.client.listCronWorkflows({ limit: 1 });
    return { name: 'argo', version, apiVersion: 'v1' };
  }

  private async *paged<T>(list: (cont: string | undefined) => Promise<Page<T>>): AsyncGenerator<T[]> {
    let cont: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await list(cont);
      if (page.items.length > 0) yield page.items;
      // A server that hands back a token it gave before would loop forever.
      if (page.continue === null || seen.has(page.continue)) return;
      seen.add(page.continue);
      cont = page.continue;
    }
  }

  /** CronWorkflows first, then WorkflowTemplates, each in pages of `pageSize`. */
  async *pipelines(): AsyncIterable<ProviderPipeline[]> {
    const limit = this.shared.pageSize;
    for await (const items of this.paged((c) => this.client.listCronWorkflows({ limit, continue: c }))) yield items.map(cronPipeline);
    for await (const items of this.paged((c) => this.client.listWorkflowTemplates({ limit, continue: c }))) yield items.map(templatePipeline);
  }

  /**
   * The workflows a listing reads, page by page, each synced one once. Without a cursor: every
   * workflow. With one: the unfinished ones now (`completed!=true`), those created since the cursor's
   * time (less `overlapMs`), and those the cursor remembers as unfinished that neither list had
   * (GET; gone ones are skipped).
   */
  private async *workflows(cursor: Cursor | undefined, withNodes: boolean): AsyncGenerator<Workflow[]> {
    const limit = this.shared.pageSize;
    const fields = withNodes ? TASK_FIELDS : RUN_FIELDS;
    const seen = new Set<string>();
    const fresh = (items: Workflow[]) =>
      items.filter((wf) => {
        const name = wf.metadata.name;
        if (!name || seen.has(name)) return false;
        seen.add(name);
        return isSynced(wf);
      });
    const lists: Array<{ labelSelector: string; createdAfter?: string }> = cursor
      ? [
          { labelSelector: `${NOT_MANAGED},${LABEL.completed}!=true` },
          { labelSelector: NOT_MANAGED, createdAfter: new Date(Date.parse(cursor.at) - this.shared.overlapMs).toISOString().replace(/\.\d{3}Z$/, 'Z') },
        ]
      : [{ labelSelector: NOT_MANAGED }];
    for (const q of lists) {
      for await (const items of this.paged((c) => this.client.listWorkflows({ ...q, limit, continue: c, fields }))) {
        const page = fresh(items);
        if (page.length > 0) yield page;
      }
    }
    if (!cursor) return;
    let batch: Workflow[] = [];
    for (const name of cursor.open) {
      if (seen.has(name)) continue;
      const wf = await this.readWorkflow(name, withNodes ? GET_TASK_FIELDS : GET_RUN_FIELDS);
      if (!wf) continue;
      batch.push(...fresh([wf]));
      if (batch.length >= limit) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** GET a workflow, or from the archive by uid; undefined when it is gone from both. */
  private async readWorkflow(name: string, fields?: string, uid?: string): Promise<Workflow | undefined> {
    try {
      return await this.client.getWorkflow(name, fields);
    } catch (err) {
      if (!isDomainError(err) || err.kind !== 'not_found') throw err;
    }
    if (!uid) return undefined;
    try {
      return await this.client.getArchivedWorkflow(uid);
    } catch (err) {
      if (!isDomainError(err) || err.kind !== 'not_found') throw err;
      return undefined;
    }
  }

  /**
   * Runs, then task runs, then the cursor (docs/argo.md). Two passes over the same listing: the
   * runs pass asks for no nodes; the task runs pass asks for nodes and keeps only the workflows the
   * runs pass yielded. A listed item without nodes that has started (served from the archive) is
   * read with GET, or GET archived-workflows/{uid} once the live one is gone.
   */
  async *changes(cursor: string | null): AsyncIterable<ChangePage> {
    const previous = decodeCursor(cursor);
    const at = this.shared.now();
    // Name → [run id, pipeline] of each run yielded: a task run's run is always one of them.
    const listed = new Map<string, [string, string]>();
    const open: string[] = [];
    for await (const items of this.workflows(previous, false)) {
      const runs = items.map((wf) => runOf(wf, pipelineOfWorkflow(wf)!, this.shared.now()));
      for (const wf of items) {
        const name = wf.metadata.name!;
        listed.set(name, [runIdOfWorkflow(wf), pipelineOfWorkflow(wf)!]);
        if (!isFinishedPhase(wf.status?.phase)) open.push(name);
      }
      yield { kind: 'runs', runs };
    }
    for await (const items of this.workflows(previous, true)) {
      // Not in the runs pass (created since), or another workflow of the same name (recreated): the next sync has it.
      const mine = items.filter((wf) => listed.get(wf.metadata.name!)?.[0] === runIdOfWorkflow(wf));
      // The items served without nodes are read a few at a time: one GET each would otherwise be a round trip in a row.
      const full = await inParallel(mine, READ_CONCURRENCY, async (wf) => {
        const phase = wf.status?.phase;
        if (wf.status?.nodes || !phase || phase === 'Pending') return wf;
        return this.readWorkflow(wf.metadata.name!, GET_TASK_FIELDS, wf.metadata.uid);
      });
      const taskRuns = [];
      for (const wf of full) if (wf) taskRuns.push(...taskRunsOf(wf, listed.get(wf.metadata.name!)![1], this.shared.now()));
      if (taskRuns.length > 0) yield { kind: 'taskRuns', taskRuns };
    }
    yield { kind: 'cursor', cursor: encodeCursor({ v: 1, at: at.toISOString(), open }) };
  }

  private target(pipelineExternalId: string): { kind: PipelineKind; name: string } {
    const t = parsePipelineId(pipelineExternalId);
    if (!t) throw pipelineNotFound(pipelineExternalId);
    return t;
  }

  /**
   * POST …/submit from the template or cron workflow, named workflowNameOf(runId) and labelled with
   * the run id; conf values become parameters `k=v` (a non-string JSON-encoded). Never resent: a
   * second submit of the same name is 409, which is RUN_EXISTS.
   */
  async trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun> {
    const { kind, name } = this.target(pipelineExternalId);
    const parameters = Object.entries(request.conf ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    const labelled = request.runId.length <= 63 && LABEL_VALUE.test(request.runId);
    let wf: Workflow;
    try {
      wf = await this.client.submit(kind, name, {
        name: workflowNameOf(request.runId),
        parameters,
        ...(labelled ? { labels: `${TRIGGERED_RUN_LABEL}=${request.runId}` } : {}),
      });
    } catch (err) {
      throw recode(recode(err, 'conflict', 'RUN_EXISTS'), 'not_found', 'PIPELINE_NOT_FOUND');
    }
    const run = runOf(wf, pipelineExternalId, this.shared.now());
    return { ...run, externalId: labelled ? request.runId : (wf.metadata.name ?? run.externalId), conf: request.conf };
  }

  /** The workflow of a run of this pipeline, or RUN_NOT_FOUND. */
  private async workflowOf(pipelineExternalId: string, runExternalId: string, fields?: string): Promise<Workflow> {
    const wf = await this.readWorkflow(workflowNameFor(runExternalId), fields);
    if (!wf || pipelineOfWorkflow(wf) !== pipelineExternalId || runIdOfWorkflow(wf) !== runExternalId) throw runNotFound(pipelineExternalId, runExternalId);
    return wf;
  }

  async getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    const wf = await this.workflowOf(pipelineExternalId, runExternalId, GET_RUN_FIELDS);
    return runOf(wf, pipelineExternalId, this.shared.now());
  }

  /**
   * PUT …/stop (exit handlers still run): the workflow fails. The controller acts on it a moment
   * later, so the run is read again until it is final or `cancelWaitMs` has passed. A finished
   * workflow is left as it is.
   */
  async cancelRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    let wf = await this.workflowOf(pipelineExternalId, runExternalId, GET_RUN_FIELDS);
    if (isFinishedPhase(wf.status?.phase)) return runOf(wf, pipelineExternalId, this.shared.now());
    try {
      wf = await this.client.stopWorkflow(wf.metadata.name!, 'Stopped by Signalbox');
    } catch (err) {
      throw recode(err, 'not_found', 'RUN_NOT_FOUND');
    }
    const deadline = Date.now() + this.shared.cancelWaitMs;
    while (!isFinishedPhase(wf.status?.phase) && Date.now() < deadline) {
      await sleep(200);
      wf = await this.workflowOf(pipelineExternalId, runExternalId, GET_RUN_FIELDS);
    }
    return runOf(wf, pipelineExternalId, this.shared.now());
  }

  /**
   * PUT …/retry of a Failed or Error workflow: Argo resets its failed nodes (and those after them)
   * and runs it again under the same name. Any other workflow is left as it is (Argo refuses to
   * retry a running or successful one).
   */
  async retryRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    const wf = await this.workflowOf(pipelineExternalId, runExternalId, GET_RUN_FIELDS);
    const phase = wf.status?.phase;
    if (phase !== 'Failed' && phase !== 'Error') return runOf(wf, pipelineExternalId, this.shared.now());
    try {
      return runOf(await this.client.retryWorkflow(wf.metadata.name!), pipelineExternalId, this.shared.now());
    } catch (err) {
      throw recode(err, 'not_found', 'RUN_NOT_FOUND');
    }
  }

  /** A CronWorkflow is suspended or resumed; a WorkflowTemplate has no schedule to pause (409 PIPELINE_NOT_PAUSABLE). */
  async setPaused(pipelineExternalId: string, paused: boolean): Promise<void> {
    const { kind, name } = this.target(pipelineExternalId);
    try {
      if (kind === 'WorkflowTemplate') {
        await this.client.getWorkflowTemplate(name);
        throw conflict(
          'PIPELINE_NOT_PAUSABLE',
          `pipeline '${pipelineExternalId}' is an Argo WorkflowTemplate, which has no schedule to pause; pause its CronWorkflow instead`,
        );
      }
      if (paused) await this.client.suspendCronWorkflow(name);
      else await this.client.resumeCronWorkflow(name);
    } catch (err) {
      throw recode(err, 'not_found', 'PIPELINE_NOT_FOUND');
    }
  }
}

/** A ProviderFactory whose providers are ArgoProviders (their `client` serves the Argo engine). */
export interface ArgoProviderFactory extends ProviderFactory {
  create(connector: Connector): ArgoProvider;
}

/**
 * The provider factory for connectors of type `argo`. Providers of one factory share a keep-alive
 * connection pool; one provider per connector is kept until its config changes.
 */
export function argoProviderFactory(options: ArgoProviderOptions = {}): ArgoProviderFactory {
  const shared: Shared = {
    pageSize: options.pageSize ?? 100,
    overlapMs: options.overlapMs ?? 5 * 60_000,
    cancelWaitMs: options.cancelWaitMs ?? 10_000,
    now: options.now ?? (() => new Date()),
    http: {
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      retryBaseMs: options.retryBaseMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
    },
  };
  if (!Number.isInteger(shared.pageSize) || shared.pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  const providers = new Map<string, { key: string; provider: ArgoProvider }>();
  return {
    create: (connector: Connector) => {
      const key = JSON.stringify(connector.config);
      const cached = providers.get(connector.id);
      if (cached?.key === key) return cached.provider;
      const provider = new ArgoProvider(readArgoConfig(connector.config), shared);
      providers.set(connector.id, { key, provider });
      return provider;
    },
    checkConfig: (config: ConnectorConfig) => checkArgoConfig(config),
    // A wrong token or namespace is told when the connector is created, not at its first sync.
    checkOnCreate: true,
  };
}
