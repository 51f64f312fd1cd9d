import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  type ChangePage,
  type Connector,
  type ConnectorConfig,
  DomainError,
  isDomainError,
  type OrchestrationProvider,
  type ProviderFactory,
  type ProviderInfo,
  type ProviderPipeline,
  type ProviderRun,
  type TriggerRequest,
} from '@signalbox/core';
import { AirflowHttp, type Auth, badResponse, basicAuth, noAuth, staticToken, TokenCache } from './airflow-http';
import { v1Dialect } from './airflow-v1';
import { v2Dialect } from './airflow-v2';
import { type AirflowConfig, type ApiVersion, checkAirflowConfig, readAirflowConfig } from './config';
import { type Dialect, type Dto, FAILED_TASK_STATES, text } from './dialect';

export interface AirflowProviderOptions {
  /** Per request; a request that sends nothing back for this long fails with `timeout`. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts of an idempotent request after 429, 5xx or a connection failure. Default 3. */
  retries?: number;
  /** Items asked for per page; Airflow may send fewer (maximum_page_limit). Default 100. */
  pageSize?: number;
  /** First backoff step, doubled per retry, with jitter. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest wait between attempts; a longer Retry-After ends the retries. Default 30 s. */
  maxRetryDelayMs?: number;
  /**
   * Where each API lives under base_url. Defaults /api/v1 and /api/v2; a gateway that mounts the
   * v1 API elsewhere (or a mock of the spec, which has no prefix) sets its own.
   */
  apiPrefix?: Partial<Record<ApiVersion, string>>;
  /** A first sync (no cursor) reads runs and task runs changed this far back. Default 30 days. */
  lookbackMs?: number;
  /**
   * A later sync re-reads this much before its cursor, for rows Airflow committed late (a
   * transaction that began before the listing and committed after it) and for a clock skew between
   * Airflow's database and its web server. Duplicates merge by key. Default 5 minutes.
   */
  overlapMs?: number;
  /** Our clock, for the first sync's look-back and the listing's start. Default the system clock. */
  now?: () => Date;
}

const TOKEN_PATH = '/auth/token';

type Shared = Required<Omit<AirflowProviderOptions, 'apiPrefix'>> & {
  prefix: Record<ApiVersion, string>;
  tokens: TokenCache;
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
};

interface Detected {
  dialect: Dialect;
  airflowVersion: string | null;
}

const encode = encodeURIComponent;

const runPath = (dialect: Dialect, pipelineExternalId: string, runExternalId: string) =>
  `${dialect.prefix}/dags/${encode(pipelineExternalId)}/dagRuns/${encode(runExternalId)}`;

/** An Airflow 2 (/api/v1) or Airflow 3 (/api/v2) instance, as the core sees an orchestrator. */
export class AirflowProvider implements OrchestrationProvider {
  private readonly http: AirflowHttp;
  private detected?: Promise<Detected>;

  constructor(
    private readonly config: AirflowConfig,
    private readonly shared: Shared,
  ) {
    this.http = new AirflowHttp(config.baseUrl, shared);
  }

  private authFor(version: ApiVersion): Auth {
    const c = this.config;
    if (c.token) return staticToken(c.token);
    if (c.username !== undefined && c.password !== undefined) {
      return version === 'v1' ? basicAuth(c.username, c.password) : this.shared.tokens.auth(this.http, TOKEN_PATH, c.baseUrl, c.username, c.password);
    }
    return noAuth;
  }

  private dialectOf(version: ApiVersion): Dialect {
    return version === 'v1' ? v1Dialect(this.shared.prefix.v1) : v2Dialect(this.shared.prefix.v2);
  }

  /** The API version: from the config, else the first of /api/v2/version and /api/v1/version that answers. */
  private dialect(): Promise<Detected> {
    this.detected ??= this.detect().catch((err: unknown) => {
      this.detected = undefined;
      throw err;
    });
    return this.detected;
  }

  private async detect(): Promise<Detected> {
    const tryVersion = async (version: ApiVersion): Promise<Detected | undefined> => {
      const dialect = this.dialectOf(version);
      this.http.auth = this.authFor(version);
      try {
        const res = await this.http.call<Dto>({ method: 'GET', path: `${dialect.prefix}/version`, idempotent: true, auth: version === 'v1' });
        const v = res.data && typeof res.data.version === 'string' ? res.data.version : null;
        if (v === null && this.config.apiVersion === undefined) return undefined;
        return { dialect, airflowVersion: v };
      } catch (err) {
        // Not this version (or not Airflow at all): an unknown path, or a page that is not JSON.
        if (
          this.config.apiVersion === undefined &&
          isDomainError(err) &&
          (err.kind === 'not_found' || err.code === 'PROVIDER_BAD_RESPONSE' || err.provider?.status === 405)
        ) {
          return undefined;
        }
        throw err;
      }
    };
    if (this.config.apiVersion) return (await tryVersion(this.config.apiVersion))!;
    const found = (await tryVersion('v2')) ?? (await tryVersion('v1'));
    if (!found) {
      throw new DomainError(
        'bad_gateway',
        'PROVIDER_NOT_AIRFLOW',
        `no Airflow API answers at ${this.config.baseUrl} (asked /api/v2/version and /api/v1/version)`,
        {
          provider: { name: 'airflow', status: 404, message: 'neither /api/v2/version nor /api/v1/version answered' },
        },
      );
    }
    return found;
  }

  async check(): Promise<ProviderInfo> {
    const { dialect, airflowVersion } = await this.dialect();
    // The version endpoint is open; listing one DAG proves the credentials.
    await this.http.call({ method: 'GET', path: `${dialect.prefix}/dags`, params: { limit: 1 }, idempotent: true });
    return { name: 'airflow', version: airflowVersion, apiVersion: dialect.version };
  }

  /**
   * Pages of a list endpoint. Airflow cuts `limit` to its maximum_page_limit without saying so, so
   * the offset moves by what came back, until total_entries. Yields each non-empty page with the
   * moment the listing began (no later than the server's clock), which it also reports through
   * `began` once the first answer is in, even when the list is empty.
   */
  private async *pages(
    path: string,
    params: Record<string, unknown>,
    key: string,
    opts: { totals?: Set<number>; began?: (at: Date) => void; notFoundCode?: string } = {},
  ): AsyncGenerator<{ items: Dto[]; listedAt: Date }> {
    let offset = 0;
    let listedAt: Date | undefined;
    for (;;) {
      const sentAt = this.shared.now();
      const res = await this.http.call<Dto | null>({
        method: 'GET',
        path,
        params: { ...params, limit: this.shared.pageSize, offset },
        idempotent: true,
        notFoundCode: opts.notFoundCode,
      });
      if (!listedAt) {
        listedAt = res.serverDate && res.serverDate < sentAt ? res.serverDate : sentAt;
        opts.began?.(listedAt);
      }
      const items = res.data?.[key];
      if (!Array.isArray(items)) throw badResponse(res.status, `GET ${path} answered without a "${key}" list`);
      const total = res.data?.total_entries;
      if (typeof total === 'number') opts.totals?.add(total);
      if (items.length > 0) yield { items: items as Dto[], listedAt };
      offset += items.length;
      if (items.length === 0 || (typeof total === 'number' && offset >= total)) return;
    }
  }

  async *pipelines(): AsyncIterable<ProviderPipeline[]> {
    const { dialect } = await this.dialect();
    // A DAG that goes away while the list is paged shifts the rest by one, so another DAG can slip
    // between two pages and be taken for removed. When the total moved during the listing, list
    // once more (pages seen twice are harmless: writes are upserts).
    for (let pass = 0; pass < 2; pass++) {
      const totals = new Set<number>();
      for await (const page of this.pages(`${dialect.prefix}/dags`, dialect.dagsQuery(), 'dags', { totals })) {
        yield page.items.map((d) => dialect.pipeline(d));
      }
      if (totals.size <= 1) return;
    }
  }

  /**
   * Runs changed since the cursor, then task instances, then the next cursor. The cursor is an ISO
   * time: the moment the runs listing began. Both listings are filtered by `updated_at`; a run or
   * task instance that changes once the runs listing has begun has a later `updated_at` than the
   * cursor, so the next listing has it even when this one read it before the change (runs are
   * paged by id, task instances after the runs). The time is the earlier of the server's `Date`
   * and ours, so a web server clock behind ours cannot move it past a change. A cursor that is not
   * a time (none yet, or not one of ours) reads back `lookbackMs`; a time re-reads `overlapMs`
   * before it.
   */
  async *changes(cursor: string | null): AsyncIterable<ChangePage> {
    const { dialect } = await this.dialect();
    const parsed = cursor === null ? Number.NaN : Date.parse(cursor);
    const since = Number.isNaN(parsed) ? new Date(this.shared.now().getTime() - this.shared.lookbackMs) : new Date(parsed - this.shared.overlapMs);
    let next: Date | undefined;
    const began = (at: Date) => {
      next ??= at;
    };
    for await (const page of this.pages(`${dialect.prefix}/dags/~/dagRuns`, dialect.runsQuery(since), 'dag_runs', { began })) {
      yield { kind: 'runs', runs: page.items.map((r) => dialect.run(r, page.listedAt)) };
    }
    for await (const page of this.pages(`${dialect.prefix}/dags/~/dagRuns/~/taskInstances`, dialect.tasksQuery(since), 'task_instances')) {
      yield { kind: 'taskRuns', taskRuns: page.items.map((t) => dialect.task(t, page.listedAt)) };
    }
    // The runs listing always asks at least once, so `next` is set once it is done.
    yield { kind: 'cursor', cursor: next!.toISOString() };
  }

  async trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun> {
    const { dialect } = await this.dialect();
    const sentAt = this.shared.now();
    // Never retried blindly: a lost answer is resolved by the caller through the run id (RUN_EXISTS).
    const res = await this.http.call<Dto>({
      method: 'POST',
      path: `${dialect.prefix}/dags/${encode(pipelineExternalId)}/dagRuns`,
      body: dialect.triggerBody(request),
      idempotent: false,
      notFoundCode: 'PIPELINE_NOT_FOUND',
      conflictCode: 'RUN_EXISTS',
    });
    return this.runOf(dialect, res.data, res.serverDate ?? sentAt, 'POST dagRuns');
  }

  async getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    const { dialect } = await this.dialect();
    const sentAt = this.shared.now();
    const res = await this.http.call<Dto>({
      method: 'GET',
      path: runPath(dialect, pipelineExternalId, runExternalId),
      idempotent: true,
      notFoundCode: 'RUN_NOT_FOUND',
    });
    return this.runOf(dialect, res.data, res.serverDate ?? sentAt, 'GET dagRun');
  }

  /**
   * `PATCH …/dags/{id}/dagRuns/{run}` `{state: "failed"}`: Airflow marks the run failed, its
   * running task instances failed (their processes are stopped) and its unfinished ones skipped,
   * and answers the run. Airflow does this to a finished run too; the caller decides whether a run
   * may be cancelled.
   */
  async cancelRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    const { dialect } = await this.dialect();
    const sentAt = this.shared.now();
    const res = await this.http.call<Dto>({
      method: 'PATCH',
      path: runPath(dialect, pipelineExternalId, runExternalId),
      body: dialect.cancelBody(),
      // Marking a failed run failed changes nothing.
      idempotent: true,
      notFoundCode: 'RUN_NOT_FOUND',
    });
    return this.runOf(dialect, res.data, res.serverDate ?? sentAt, 'PATCH dagRun');
  }

  /**
   * Lists the run's failed and upstream_failed task instances, clears them with everything
   * downstream of them (`POST …/dags/{id}/clearTaskInstances` with their task ids), then reads the
   * run. Clearing by task id is what reaches downstream: both versions ignore `include_downstream`
   * without `task_ids`, and `only_failed` would leave the skipped tasks of a cancelled run behind.
   * A run with no such task instance is left as it is. Calling it again after a lost answer is
   * safe: once the clear took effect, nothing is failed to list.
   */
  async retryRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun> {
    const { dialect } = await this.dialect();
    const taskIds = new Set<string>();
    const listed = this.pages(
      `${runPath(dialect, pipelineExternalId, runExternalId)}/taskInstances`,
      { ...dialect.tasksQuery(null), state: FAILED_TASK_STATES },
      'task_instances',
      { notFoundCode: 'RUN_NOT_FOUND' },
    );
    for await (const page of listed) for (const t of page.items) taskIds.add(text(t.task_id));
    if (taskIds.size > 0) {
      await this.http.call<Dto>({
        method: 'POST',
        path: `${dialect.prefix}/dags/${encode(pipelineExternalId)}/clearTaskInstances`,
        body: dialect.clearBody(runExternalId, [...taskIds].sort()),
        // Never resent: a second clear would restart what the first one set going. Calling retryRun
        // again is safe instead: once a clear took effect, nothing is failed to list.
        idempotent: false,
        notFoundCode: 'RUN_NOT_FOUND',
      });
    }
    return this.getRun(pipelineExternalId, runExternalId);
  }

  /**
   * v1: `PATCH /dags/{id}?update_mask=is_paused`; v2: `PATCH /api/v2/dags/{id}` with the body alone
   * (its mask is optional, and an array that the official spec's validators refuse as one string).
   */
  async setPaused(pipelineExternalId: string, paused: boolean): Promise<void> {
    const { dialect } = await this.dialect();
    await this.http.call<Dto>({
      method: 'PATCH',
      path: `${dialect.prefix}/dags/${encode(pipelineExternalId)}`,
      ...(dialect.version === 'v1' ? { params: { update_mask: 'is_paused' } } : {}),
      body: { is_paused: paused },
      // Setting the same value twice is harmless.
      idempotent: true,
      notFoundCode: 'PIPELINE_NOT_FOUND',
    });
  }

  private runOf(dialect: Dialect, data: Dto, at: Date, what: string): ProviderRun {
    if (!data || typeof data !== 'object' || typeof data.dag_run_id !== 'string') throw badResponse(200, `${what} answered without a dag_run_id`);
    return dialect.run(data, at);
  }
}

/**
 * The provider factory for connectors of type `airflow`. Providers of one factory share a
 * keep-alive connection pool and the v2 token cache. One provider per connector is kept, so the
 * API version it detected serves every later call; an edited config gets a fresh provider.
 */
export function airflowProviderFactory(options: AirflowProviderOptions = {}): ProviderFactory {
  const shared: Shared = {
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    pageSize: options.pageSize ?? 100,
    retryBaseMs: options.retryBaseMs ?? 500,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    lookbackMs: options.lookbackMs ?? 30 * 24 * 3600_000,
    overlapMs: options.overlapMs ?? 5 * 60_000,
    now: options.now ?? (() => new Date()),
    prefix: { v1: options.apiPrefix?.v1 ?? '/api/v1', v2: options.apiPrefix?.v2 ?? '/api/v2' },
    tokens: new TokenCache(),
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
  };
  if (!Number.isInteger(shared.pageSize) || shared.pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  const providers = new Map<string, { key: string; provider: AirflowProvider }>();
  return {
    create: (connector: Connector) => {
      const key = JSON.stringify(connector.config);
      const cached = providers.get(connector.id);
      if (cached?.key === key) return cached.provider;
      const provider = new AirflowProvider(readAirflowConfig(connector.config), shared);
      providers.set(connector.id, { key, provider });
      return provider;
    },
    checkConfig: (config: ConnectorConfig) => checkAirflowConfig(config),
  };
}
