import createFetchClient, { type Client } from 'openapi-fetch';
import { isMap, parseDocument } from 'yaml';
import { ApiError, ConnectionError, SignalboxError, WaitTimeoutError } from './errors';
import type { components, paths } from './generated/openapi';

type S = components['schemas'];
/** A managed pipeline as listed by name (`/api/v1/pipelines`). */
export type NamedPipeline = S['Seed2Pipeline'];
/** A managed pipeline's run as its pipeline lists it. */
export type PipelineRun = S['Seed2Run'];
export type Run = S['Run'];
export type RunDetail = S['RunDetail'];
export type RunProgress = S['RunProgress'];
export type Validation = S['Validation'];
export type Connector = S['Connector'];
export type Sync = S['Sync'];
export type Space = S['Space'];
export type Comment = S['Comment'];

/** The canonical API's mount point. */
export const API_BASE = '/api/v1.0';
const SPACE_HEADER = 'X-Signalbox-Space';
/** The longest single long poll the server grants. */
const MAX_WAIT_SECONDS = 60;
/** The longest delay a timer takes (about 24.8 days); a wait longer than that is cut by nothing. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** An API key (sent as `Authorization: Bearer`). */
  apiKey?: string;
  /** The space's slug. Without it, the one space the key can see (several is `SPACE_REQUIRED`). */
  space?: string;
  /** Another fetch (tests, proxies); default the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Aborts every request of this client, waits included (a command line's Ctrl-C). */
  signal?: AbortSignal;
}

export interface WaitOptions<T> {
  /** Milliseconds to wait at most; default: until it ends. On timeout the promise rejects with a WaitTimeoutError carrying it as last seen. */
  timeout?: number;
  /** Called with each new state while it is not finished (and once more with the final one). */
  onProgress?: (current: T) => void;
  /** Stops waiting (rejects with the signal's reason); never cancels what is waited for. */
  signal?: AbortSignal;
}

export interface RunOptions {
  fullRefresh?: boolean;
  dryRun?: boolean;
  variables?: Record<string, unknown>;
  /** A key that makes the trigger safe to send again: the same key and options answer the same run. */
  idempotencyKey?: string;
}

/** A definition: YAML or JSON text, or the object itself. */
export type DefinitionInput = string | Record<string, unknown>;

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  perPage: number;
}

const FINISHED = new Set(['success', 'failed', 'canceled']);
export const isFinished = (status: string) => FINISHED.has(status);

/** What a definition calls itself, read from the object or from YAML/JSON text; undefined when it cannot be read (the server then says why). */
export function definitionName(definition: DefinitionInput): string | undefined {
  if (typeof definition !== 'string') return typeof definition.name === 'string' ? definition.name : undefined;
  const doc = parseDocument(definition);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const name = doc.get('name');
  return typeof name === 'string' ? name : undefined;
}

/**
 * How a definition goes on the wire, as openapi-fetch options (`body`, `headers`, `bodySerializer`):
 * text as it is (so the server's line numbers are the file's), an object as JSON.
 */
export function definitionBody(definition: DefinitionInput) {
  if (typeof definition !== 'string') return { body: definition, headers: {} };
  const json = /^\s*[{[]/.test(definition);
  return { body: definition, headers: { 'Content-Type': json ? 'application/json' : 'application/yaml' }, bodySerializer: (b: unknown) => b as string };
}

/** Both signals, either, or none. */
const eitherSignal = (a?: AbortSignal, b?: AbortSignal) => (a && b ? AbortSignal.any([a, b]) : (a ?? b));

/**
 * Follows something to its end with long polls: `next` asks for its state, the server answering on
 * change or after `seconds`. Each state is reported once (a poll that ran out unchanged is not
 * news); the request in flight is cut at the deadline.
 */
async function follow<T>(
  first: T,
  options: WaitOptions<T>,
  how: {
    done: (t: T) => boolean;
    key: (t: T) => string;
    next: (t: T, seconds: number, signal: AbortSignal | undefined) => Promise<T>;
    timedOut: (t: T) => WaitTimeoutError;
    signal?: AbortSignal;
  },
): Promise<T> {
  const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeout;
  const stop = eitherSignal(options.signal, how.signal);
  let current = first;
  let reported: string | undefined;
  for (;;) {
    const key = how.key(current);
    if (key !== reported) options.onProgress?.(current);
    reported = key;
    if (how.done(current)) return current;
    const left = deadline - Date.now();
    if (left <= 0) throw how.timedOut(current);
    const cut = left <= MAX_TIMER_MS ? AbortSignal.timeout(left) : undefined;
    try {
      current = await how.next(current, Math.min(MAX_WAIT_SECONDS, Math.ceil(left / 1000)), eitherSignal(cut, stop));
    } catch (err) {
      if (stop?.aborted) throw stop.reason;
      if (cut?.aborted) throw how.timedOut(current);
      throw err;
    }
  }
}

/**
 * The Signalbox API, typed from its OpenAPI document. `raw` is the generated client for every
 * operation; the rest is a small layer over it: managed pipelines by name, runs you can wait for,
 * connectors you can sync and wait for, comments.
 */
export class Signalbox {
  /** Every operation of `/openapi.json`, typed (openapi-fetch). */
  readonly raw: Client<paths>;
  readonly pipelines: Pipelines;
  readonly runs: Runs;
  readonly connectors: Connectors;
  readonly spaces: Spaces;
  readonly comments: Comments;
  private readonly url: string;
  private spaceSlug: Promise<string> | undefined;

  constructor(readonly options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
    if (options.space) this.spaceSlug = Promise.resolve(options.space);
    this.raw = createFetchClient<paths>({
      baseUrl: this.url,
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.pipelines = new Pipelines(this);
    this.runs = new Runs(this);
    this.connectors = new Connectors(this);
    this.spaces = new Spaces(this);
    this.comments = new Comments(this);
  }

  /** The space calls are made in: the one given, else the only one the key can see. */
  space(): Promise<string> {
    this.spaceSlug ??= this.onlySpace().catch((err) => {
      this.spaceSlug = undefined;
      throw err;
    });
    return this.spaceSlug;
  }

  /** The header that names the space to the name-addressed routes, when one was given. */
  spaceHeader(): Record<string, string> {
    return this.options.space ? { [SPACE_HEADER]: this.options.space } : {};
  }

  private async onlySpace(): Promise<string> {
    const spaces = await this.call(this.raw.GET(`${API_BASE}/spaces`, { params: { query: { per_page: 2 } } }));
    if (spaces.length === 1) return spaces[0].slug;
    throw new SignalboxError(
      'SPACE_REQUIRED',
      spaces.length === 0 ? 'this key is a member of no space' : 'this key can see several spaces: name one (the space option, SIGNALBOX_SPACE or --space)',
    );
  }

  /** Awaits an openapi-fetch call: its data, or an ApiError / ConnectionError. */
  async call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    let answer: { data?: T; error?: unknown; response: Response };
    try {
      answer = await request;
    } catch (err) {
      if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) throw err;
      // Reached, but what answered is not the API (an HTML page, a proxy's error).
      if (err instanceof SyntaxError)
        throw new SignalboxError('BAD_RESPONSE', `${this.url} answered something that is not the Signalbox API's JSON: ${err.message}`);
      throw new ConnectionError(this.url, err);
    }
    if (!answer.response.ok) throw await ApiError.from(answer.response, answer.error);
    return answer.data as T;
  }
}

/** Managed pipelines, addressed by name. */
export class Pipelines {
  constructor(private readonly sb: Signalbox) {}

  async list(query: { status?: NamedPipeline['status'][]; page?: number; perPage?: number } = {}): Promise<Page<NamedPipeline>> {
    const { data, meta } = await this.sb.call(
      this.sb.raw.GET('/api/v1/pipelines', {
        params: { query: { status: query.status, page: query.page, per_page: query.perPage } },
        headers: this.sb.spaceHeader(),
      }),
    );
    return { items: data, total: meta.total, page: meta.page, perPage: meta.per_page };
  }

  async get(name: string): Promise<NamedPipeline> {
    return (
      await this.sb.call(this.sb.raw.GET('/api/v1/pipelines/{pipeline_name}', { params: { path: { pipeline_name: name } }, headers: this.sb.spaceHeader() }))
    ).data;
  }

  /**
   * Creates the pipeline its definition names, or gives it a new version when the content changed.
   * `outcome`: `created`, `updated` (a new version) or `unchanged`.
   */
  async apply(definition: DefinitionInput, retried = false): Promise<{ pipeline: NamedPipeline; outcome: 'created' | 'updated' | 'unchanged' }> {
    const name = definitionName(definition);
    const wire = definitionBody(definition);
    const headers = { ...this.sb.spaceHeader(), ...wire.headers };
    const create = async () => {
      const created = await this.sb.call(this.sb.raw.POST('/api/v1/pipelines', { ...wire, body: wire.body as never, headers }));
      return { pipeline: created.data, outcome: 'created' as const };
    };
    // Without a readable name the server's answer says what is wrong with the text.
    if (name === undefined) return create();
    const { data, error, response } = await this.sb.raw
      .PUT('/api/v1/pipelines/{pipeline_name}', { ...wire, body: wire.body as never, headers, params: { path: { pipeline_name: name } } })
      .catch((err) => {
        if (err instanceof Error && err.name === 'AbortError') throw err;
        throw new ConnectionError(this.sb.options.url, err);
      });
    if (response.status === 404 && (error as { error?: { code?: string } })?.error?.code === 'PIPELINE_NOT_FOUND') {
      try {
        return await create();
      } catch (err) {
        // Created by someone else in between: apply again, once.
        if (!retried && err instanceof ApiError && err.status === 409 && err.code === 'PIPELINE_EXISTS') return this.apply(definition, true);
        throw err;
      }
    }
    if (!response.ok || !data) throw await ApiError.from(response, error);
    return { pipeline: data.data, outcome: response.status === 201 ? 'updated' : 'unchanged' };
  }

  /** Checks a definition and stores nothing: `valid`, every error and warning at its line, the steps in run order. */
  async validate(definition: DefinitionInput): Promise<Validation> {
    const wire = definitionBody(definition);
    return this.sb.call(
      this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/pipelines/validate`, {
        ...wire,
        body: wire.body as never,
        params: { path: { slug: await this.sb.space() } },
      }),
    );
  }

  /** Deletes the pipeline with its versions and its whole run history. */
  async delete(name: string): Promise<void> {
    await this.sb.call(this.sb.raw.DELETE('/api/v1/pipelines/{pipeline_name}', { params: { path: { pipeline_name: name } }, headers: this.sb.spaceHeader() }));
  }

  /** Starts a run; `await run.wait()` follows it to its end. */
  async run(name: string, options: RunOptions = {}): Promise<RunHandle> {
    const headers: Record<string, string> = { ...this.sb.spaceHeader() };
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    const body: Record<string, unknown> = {};
    if (options.fullRefresh !== undefined) body.full_refresh = options.fullRefresh;
    if (options.dryRun !== undefined) body.dry_run = options.dryRun;
    if (options.variables !== undefined) body.variables = options.variables;
    const started = await this.sb.call(
      this.sb.raw.POST('/api/v1/pipelines/{pipeline_name}/runs', { params: { path: { pipeline_name: name } }, body: body as never, headers }),
    );
    return new RunHandle(this.sb, started.data);
  }

  /** The pipeline's runs, newest first. */
  async runs(name: string, query: { limit?: number; page?: number } = {}): Promise<PipelineRun[]> {
    return (
      await this.sb.call(
        this.sb.raw.GET('/api/v1/pipelines/{pipeline_name}/runs', {
          params: { path: { pipeline_name: name }, query: { limit: query.limit, page: query.page } },
          headers: this.sb.spaceHeader(),
        }),
      )
    ).data;
  }
}

/** A run just started: its first state, and `wait()`. */
export class RunHandle {
  constructor(
    private readonly sb: Signalbox,
    /** The run as the trigger answered. */
    readonly started: PipelineRun,
  ) {}

  get id(): string {
    return this.started.id;
  }

  /** Follows the run to its end: see `Runs.wait`. */
  wait(options: WaitOptions<RunDetail> = {}): Promise<RunDetail> {
    return this.sb.runs.wait(this.id, options);
  }

  cancel(): Promise<Run> {
    return this.sb.runs.cancel(this.id);
  }
}

/** Runs of any pipeline of the space, by id. */
export class Runs {
  constructor(private readonly sb: Signalbox) {}

  /** One run with its task runs (a managed run's steps). */
  async get(id: string, wait: { seconds?: number; changedSince?: string; signal?: AbortSignal } = {}): Promise<RunDetail> {
    const slug = await this.sb.space();
    return this.sb.call(
      this.sb.raw.GET(`${API_BASE}/spaces/{slug}/orchestration/runs/{run_id}`, {
        params: { path: { slug, run_id: id }, query: { wait_seconds: wait.seconds, changed_since: wait.changedSince } },
        ...(wait.signal ? { signal: wait.signal } : {}),
      }),
    );
  }

  /**
   * Resolves with the run once it has finished (success, failed or canceled: look at `status`).
   * Each request is a long poll that the server answers when the run is written again (a step,
   * progress) or ends, so `onProgress` sees every change without polling. Waiting never cancels the
   * run; on `timeout` it rejects with a WaitTimeoutError whose `run` is the last state seen.
   */
  async wait(id: string, options: WaitOptions<RunDetail> = {}): Promise<RunDetail> {
    const timedOut = (run: RunDetail) => new WaitTimeoutError(`run ${id} is still ${run.status} after ${options.timeout} ms (it goes on)`, { run });
    const first = await this.get(id, options.signal ? { signal: options.signal } : {});
    return follow(first, options, {
      done: (run) => isFinished(run.status),
      key: (run) => run.updated_at,
      next: (run, seconds, signal) => this.get(id, { seconds, changedSince: run.updated_at, ...(signal ? { signal } : {}) }),
      timedOut,
      ...(this.sb.options.signal ? { signal: this.sb.options.signal } : {}),
    });
  }

  /** Asks the run to stop: a queued managed run is canceled at once, a running one soon after. */
  async cancel(id: string): Promise<Run> {
    const slug = await this.sb.space();
    return this.sb.call(this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/runs/{run_id}/cancel`, { params: { path: { slug, run_id: id } } }));
  }

  /** Runs again what failed: a managed run gets a new run from its first step that did not succeed (or `fromStep`). */
  async retry(id: string, options: { fromStep?: string } = {}): Promise<Run> {
    const slug = await this.sb.space();
    return this.sb.call(
      this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/runs/{run_id}/retry`, {
        params: { path: { slug, run_id: id } },
        body: options.fromStep === undefined ? {} : { from_step: options.fromStep },
      }),
    );
  }
}

/** The space's connectors (Airflow, mock, warehouse), by id or by name. */
export class Connectors {
  constructor(private readonly sb: Signalbox) {}

  async list(): Promise<Connector[]> {
    const slug = await this.sb.space();
    const all: Connector[] = [];
    for (let page = 1; ; page++) {
      const items = await this.sb.call(this.sb.raw.GET(`${API_BASE}/spaces/{slug}/connectors`, { params: { path: { slug }, query: { page, per_page: 500 } } }));
      all.push(...items);
      if (items.length < 500) return all;
    }
  }

  async get(idOrName: string): Promise<Connector> {
    const slug = await this.sb.space();
    if (UUID.test(idOrName)) {
      return this.sb.call(this.sb.raw.GET(`${API_BASE}/spaces/{slug}/connectors/{connector_id}`, { params: { path: { slug, connector_id: idOrName } } }));
    }
    const found = (await this.list()).find((c) => c.name === idOrName);
    if (!found) throw new SignalboxError('CONNECTOR_NOT_FOUND', `connector '${idOrName}' was not found in space '${slug}'`);
    return found;
  }

  /**
   * Starts a sync. With `wait`, resolves once it has ended (look at `status`: succeeded or failed),
   * following it with long polls; `timeout` rejects with a WaitTimeoutError carrying the sync.
   */
  async sync(idOrName: string, options: { wait?: boolean } & WaitOptions<Sync> = {}): Promise<Sync> {
    const slug = await this.sb.space();
    const connectorId = UUID.test(idOrName) ? idOrName : (await this.get(idOrName)).id;
    const sync = await this.sb.call(
      this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/connectors/{connector_id}/sync`, { params: { path: { slug, connector_id: connectorId } } }),
    );
    if (!options.wait) return sync;
    return follow(sync, options, {
      done: (current) => current.status !== 'running',
      key: (current) => JSON.stringify(current),
      next: (current, seconds, signal) =>
        this.sb.call(
          this.sb.raw.GET(`${API_BASE}/spaces/{slug}/connectors/{connector_id}/syncs/{sync_id}`, {
            params: { path: { slug, connector_id: connectorId, sync_id: current.id }, query: { wait_seconds: seconds } },
            ...(signal ? { signal } : {}),
          }),
        ),
      timedOut: (current) => new WaitTimeoutError(`sync ${current.id} is still running after ${options.timeout} ms (it goes on)`, { sync: current }),
      ...(this.sb.options.signal ? { signal: this.sb.options.signal } : {}),
    });
  }
}

export class Spaces {
  constructor(private readonly sb: Signalbox) {}

  /** The spaces the key can see. */
  list(): Promise<Space[]> {
    return this.sb.call(this.sb.raw.GET(`${API_BASE}/spaces`, { params: { query: { per_page: 500 } } }));
  }
}

/** Comment threads on runs and task runs. */
export class Comments {
  constructor(private readonly sb: Signalbox) {}

  /** The whole thread, oldest first (every page). */
  async list(target: { runId: string } | { taskRunId: string }): Promise<Comment[]> {
    const slug = await this.sb.space();
    const all: Comment[] = [];
    for (let page = 1; ; page++) {
      const query = { page, per_page: 500 };
      const items = await this.sb.call(
        'runId' in target
          ? this.sb.raw.GET(`${API_BASE}/spaces/{slug}/orchestration/runs/{run_id}/comments`, { params: { path: { slug, run_id: target.runId }, query } })
          : this.sb.raw.GET(`${API_BASE}/spaces/{slug}/orchestration/task-runs/{task_run_id}/comments`, {
              params: { path: { slug, task_run_id: target.taskRunId }, query },
            }),
      );
      all.push(...items);
      if (items.length < query.per_page) return all;
    }
  }

  async add(target: { runId: string } | { taskRunId: string }, body: string): Promise<Comment> {
    const slug = await this.sb.space();
    if ('runId' in target) {
      return this.sb.call(
        this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/runs/{run_id}/comments`, {
          params: { path: { slug, run_id: target.runId } },
          body: { body },
        }),
      );
    }
    return this.sb.call(
      this.sb.raw.POST(`${API_BASE}/spaces/{slug}/orchestration/task-runs/{task_run_id}/comments`, {
        params: { path: { slug, task_run_id: target.taskRunId } },
        body: { body },
      }),
    );
  }

  /** Changes the text of one's own comment. */
  async edit(commentId: string, body: string): Promise<Comment> {
    const slug = await this.sb.space();
    return this.sb.call(
      this.sb.raw.PATCH(`${API_BASE}/spaces/{slug}/orchestration/comments/{comment_id}`, { params: { path: { slug, comment_id: commentId } }, body: { body } }),
    );
  }

  async delete(commentId: string): Promise<void> {
    const slug = await this.sb.space();
    await this.sb.call(
      this.sb.raw.DELETE(`${API_BASE}/spaces/{slug}/orchestration/comments/{comment_id}`, { params: { path: { slug, comment_id: commentId } } }),
    );
  }
}
