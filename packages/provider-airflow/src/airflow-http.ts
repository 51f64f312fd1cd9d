/**
 * One HTTP exchange with Airflow: auth header, bounded retries with backoff, and translation of
 * every failure into a DomainError that keeps Airflow's status and message.
 */
import { createHash } from 'node:crypto';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { DomainError, type ErrorKind, providerStatusError, retryAfterMs, type TransportFailure, transportFailure } from '@signalbox/core';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';

export interface HttpOptions {
  timeoutMs: number;
  /** Extra attempts for an idempotent call (GETs and the token call). */
  retries: number;
  /** First backoff step; each retry doubles it, with jitter. */
  retryBaseMs: number;
  /** Longest wait between attempts; a Retry-After beyond it ends the retries. */
  maxRetryDelayMs: number;
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  params?: Record<string, unknown>;
  body?: unknown;
  /** May be sent again after a failure that could have reached the server. */
  idempotent: boolean;
  /** Send credentials (false for the open version endpoints). Default true. */
  auth?: boolean;
  /** The code of a 404, e.g. RUN_NOT_FOUND. */
  notFoundCode?: string;
  /** The code of a 409, e.g. RUN_EXISTS. */
  conflictCode?: string;
}

export interface CallResult<T> {
  status: number;
  data: T;
  /** The server's Date header, when it sent one. */
  serverDate: Date | null;
}

/** How requests authenticate. */
export interface Auth {
  header(): Promise<string | undefined>;
  /** Drops a credential the server refused and says whether a new one may help (once per call). */
  renew?(): Promise<boolean>;
}

export const noAuth: Auth = { header: async () => undefined };

export const basicAuth = (username: string, password: string): Auth => {
  const value = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return { header: async () => value };
};

export const staticToken = (token: string): Auth => ({ header: async () => `Bearer ${token}` });

/**
 * Tokens from POST /auth/token, shared by every provider of a factory: fetched on first use,
 * fetched again after a 401, one fetch at a time per (server, user).
 */
export class TokenCache {
  private readonly tokens = new Map<string, Promise<string>>();

  auth(http: AirflowHttp, tokenPath: string, baseUrl: string, username: string, password: string): Auth {
    const key = createHash('sha256').update(`${baseUrl}\n${username}\n${password}`).digest('hex');
    const fetchToken = () => {
      const p = http
        .call<{ access_token?: unknown }>({ method: 'POST', path: tokenPath, body: { username, password }, idempotent: true, auth: false })
        .then((res) => {
          if (typeof res.data?.access_token !== 'string') throw badResponse(res.status, `POST ${tokenPath} answered without an access_token`);
          return res.data.access_token;
        })
        .catch((err: unknown) => {
          this.tokens.delete(key);
          throw asTokenFailure(err, tokenPath);
        });
      this.tokens.set(key, p);
      return p;
    };
    let used: Promise<string> | undefined;
    return {
      header: async () => {
        used = this.tokens.get(key) ?? fetchToken();
        return `Bearer ${await used}`;
      },
      renew: async () => {
        // Another call may have renewed it already; only drop the token this call was refused with.
        if (this.tokens.get(key) === used) this.tokens.delete(key);
        return true;
      },
    };
  }
}

/** Refused credentials at the token endpoint are the connector's, not the caller's. */
function asTokenFailure(err: unknown, tokenPath: string): unknown {
  if (!(err instanceof DomainError) || !err.provider) return err;
  const status = err.provider.status;
  if (status === 400 || status === 401 || status === 403 || status === 422) {
    return new DomainError('bad_gateway', 'PROVIDER_AUTH_FAILED', `Airflow refused the connector's username and password: ${err.provider.message}`, {
      cause: err,
      provider: err.provider,
    });
  }
  if (status === 404 || status === 405) {
    return new DomainError('bad_gateway', 'PROVIDER_AUTH_FAILED', `Airflow has no ${tokenPath} (another auth manager?): configure a token instead`, {
      cause: err,
      provider: err.provider,
    });
  }
  return err;
}

const MAX_MESSAGE = 500;

/** Airflow's own words from an error body: v1 problem JSON, v2 {detail} or a 422 list. */
export function airflowMessage(status: number, text: string): string {
  let message: string | undefined;
  try {
    const j = JSON.parse(text) as Record<string, unknown> | null;
    if (j && typeof j === 'object') {
      if (typeof j.title === 'string' && j.status !== undefined) {
        message = typeof j.detail === 'string' && j.detail ? `${j.title}: ${j.detail}` : j.title;
      } else if (Array.isArray(j.detail)) {
        message = j.detail
          .map((d: { loc?: unknown[]; msg?: unknown }) => `${Array.isArray(d?.loc) ? d.loc.join('.') : '?'}: ${String(d?.msg ?? '')}`)
          .join('; ');
      } else if (typeof j.detail === 'string') {
        message = j.detail;
      } else if (j.detail && typeof j.detail === 'object') {
        // Airflow 3's database errors: {reason, statement, orig_error, message}.
        const d = j.detail as Record<string, unknown>;
        message = typeof d.reason === 'string' ? [d.reason, d.message].filter((x) => typeof x === 'string' && x).join(': ') : JSON.stringify(j.detail);
      }
    }
  } catch {
    // not JSON: an HTML error page of a proxy or of Airflow 2's web server
  }
  if (!message) message = text.trim() && !text.trimStart().startsWith('<') ? text.trim() : `HTTP ${status}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

export function badResponse(status: number | null, message: string, cause?: unknown): DomainError {
  return new DomainError('bad_gateway', 'PROVIDER_BAD_RESPONSE', `Airflow answered something unreadable: ${message}`, {
    cause,
    provider: { name: 'airflow', status, message },
  });
}

/** The kind and code of an Airflow HTTP status: the core's PROVIDER_STATUS_ERRORS (docs/airflow.md shows it). */
export function kindOfStatus(status: number, call: Pick<CallOptions, 'notFoundCode' | 'conflictCode'> = {}): [ErrorKind, string] {
  // The core's table, with the codes a call names for its own not-found and conflict.
  const { kind, code } = providerStatusError(status);
  if (kind === 'not_found') return [kind, call.notFoundCode ?? code];
  if (kind === 'conflict') return [kind, call.conflictCode ?? code];
  return [kind, code];
}

/** How an axios request that got no answer failed; undefined when the server answered. */
const transportOf = (err: unknown): TransportFailure | undefined =>
  isAxiosError(err) && !err.response ? transportFailure(err.code ?? (err.cause as { code?: string } | undefined)?.code) : undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AirflowHttp {
  private readonly client: AxiosInstance;
  auth: Auth = noAuth;

  constructor(
    readonly baseUrl: string,
    private readonly options: HttpOptions,
  ) {
    this.client = axios.create({
      baseURL: baseUrl,
      timeout: options.timeoutMs,
      httpAgent: options.httpAgent,
      httpsAgent: options.httpsAgent,
      // Statuses and bodies are judged here, so a malformed body is told apart from a refused call.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // v2 takes repeated keys for lists (order_by=a&order_by=b), not order_by[]=a.
      paramsSerializer: { indexes: null },
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
      headers: { Accept: 'application/json' },
      maxRedirects: 0,
    });
  }

  private backoff(attempt: number): number {
    const step = Math.min(this.options.maxRetryDelayMs, this.options.retryBaseMs * 2 ** attempt);
    return step / 2 + Math.random() * (step / 2);
  }

  async call<T>(call: CallOptions): Promise<CallResult<T>> {
    let attempt = 0;
    let renewed = false;
    for (;;) {
      const headers: Record<string, string> = {};
      if (call.auth !== false) {
        const h = await this.auth.header();
        if (h) headers.Authorization = h;
      }
      let res: AxiosResponse<string>;
      try {
        res = await this.client.request<string>({ method: call.method, url: call.path, params: call.params, data: call.body, headers });
      } catch (err) {
        const transport = transportOf(err);
        if (!transport) throw err;
        // A refused connection is final: nothing listens there, and waiting through the backoff
        // only delays the answer (a connection check took ~3 s to say so). A timeout or a drop
        // may pass, so idempotent calls try again.
        if (attempt < this.options.retries && call.idempotent && transport !== 'refused') {
          await sleep(this.backoff(attempt++));
          continue;
        }
        throw this.transportError(transport, call, err);
      }

      if (res.status === 401 && call.auth !== false && this.auth.renew && !renewed) {
        renewed = true;
        // A 401 means Airflow did not act on the call, so sending it again is safe for a POST too.
        if (await this.auth.renew()) continue;
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

      let data: T;
      try {
        data = (text === '' ? null : JSON.parse(text)) as T;
      } catch (err) {
        throw badResponse(
          res.status,
          `${call.method} ${call.path} answered ${res.status} with a body that is not valid JSON (${text.length} bytes: ${JSON.stringify(text.slice(0, 60))})`,
          err,
        );
      }
      const date = typeof res.headers.date === 'string' ? new Date(res.headers.date) : null;
      return { status: res.status, data, serverDate: date && !Number.isNaN(date.getTime()) ? date : null };
    }
  }

  private statusError(status: number, text: string, call: CallOptions): DomainError {
    const message = airflowMessage(status, text);
    const [kind, code] = kindOfStatus(status, call);
    const provider = { name: 'airflow', status, message };
    const what = `${call.method} ${call.path}`;
    const summary =
      code === 'PROVIDER_AUTH_FAILED'
        ? `Airflow refused the connector's credentials (${status}) on ${what}: ${message}`
        : `Airflow answered ${status} to ${what}: ${message}`;
    return new DomainError(kind, code, summary, { provider });
  }

  private transportError(transport: TransportFailure, call: CallOptions, err: unknown): DomainError {
    const detail = err instanceof Error ? err.message : String(err);
    const what = `${call.method} ${call.path}`;
    if (transport === 'timeout') {
      return new DomainError('timeout', 'PROVIDER_TIMEOUT', `Airflow did not answer ${what} within ${this.options.timeoutMs} ms`, {
        cause: err,
        provider: { name: 'airflow', status: null, message: `no answer within ${this.options.timeoutMs} ms` },
      });
    }
    const maybeDone = !call.idempotent && transport === 'unreachable' ? ' The request may have reached Airflow; retrying with the same run id is safe.' : '';
    return new DomainError('unavailable', 'PROVIDER_UNREACHABLE', `Airflow at ${this.baseUrl} could not be reached for ${what}: ${detail}.${maybeDone}`, {
      cause: err,
      provider: { name: 'airflow', status: null, message: detail },
    });
  }
}
