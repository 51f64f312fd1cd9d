/**
 * The one error type of the core. `kind` is a closed set that an edge maps to its own status codes;
 * `code` is a stable UPPER_SNAKE identifier that clients may switch on.
 */
export type ErrorKind =
  | 'invalid' // the caller sent something the rules refuse
  | 'forbidden' // the caller is known but lacks the role
  | 'not_found' // absent, or in a space the caller cannot see
  | 'conflict' // the state of the resource forbids it now
  | 'unprocessable' // well-formed, but contradicts what the same request said before (a reused idempotency key)
  | 'rate_limited' // the orchestrator asked us to slow down
  | 'bad_gateway' // the orchestrator refused our credentials or answered nonsense
  | 'unavailable' // the orchestrator or database cannot be reached
  | 'timeout'; // the orchestrator did not answer in time

/** What an orchestrator said, when an error comes from one. */
export interface ProviderFailure {
  /** Connector type, e.g. `airflow`. */
  name: string;
  /** The orchestrator's HTTP status, or null when it never answered. */
  status: number | null;
  message: string;
}

export interface ErrorDetail {
  field?: string;
  reason: string;
  /** Where the problem is in a request body that came as text (YAML or JSON): 1-based line. */
  line?: number;
  /** 1-based column, with `line`. */
  column?: number;
  /** For an error inside a SQL query of a definition: 1-based line and column within the query itself (`query_line`, `query_column` on the wire). */
  queryLine?: number;
  queryColumn?: number;
}

export class DomainError extends Error {
  readonly details: ErrorDetail[];
  readonly provider?: ProviderFailure;
  /** Extra data a client may need, e.g. the running sync on a sync conflict. */
  readonly data?: unknown;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: ErrorOptions & { details?: ErrorDetail[]; provider?: ProviderFailure; data?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
    if (options.provider) this.provider = options.provider;
    if (options.data !== undefined) this.data = options.data;
  }
}

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;

const upper = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, '_').toUpperCase();

export const notFound = (what: string, id: string) => new DomainError('not_found', `${upper(what)}_NOT_FOUND`, `${what} '${id}' was not found`);

export const forbidden = (action: string) => new DomainError('forbidden', 'FORBIDDEN', `your role does not allow '${action}' here`);

/**
 * A rejected input value. `field` is the wire name of a body or query field (snake_case); an input
 * that reaches the core another way (a header, an environment variable) goes by the core's own name
 * for it (`idempotencyKey`, `adminApiKey`), and the adapter that read it renames it (`renameField`).
 */
export const invalid = (field: string, reason: string, code = 'INVALID_INPUT') =>
  new DomainError('invalid', code, `${field}: ${reason}`, { details: [{ field, reason }] });

/**
 * The same error with `from` named `to` in its details and message, for an adapter that knows where
 * an input came from (the HTTP edge: `idempotencyKey` is the `Idempotency-Key` header). Anything
 * else is returned as it is.
 */
export function renameField(err: unknown, from: string, to: string): unknown {
  if (!isDomainError(err) || !err.details.some((d) => d.field === from)) return err;
  const message = err.message.startsWith(`${from}: `) ? `${to}: ${err.message.slice(from.length + 2)}` : err.message;
  return new DomainError(err.kind, err.code, message, {
    cause: err.cause,
    details: err.details.map((d) => (d.field === from ? { ...d, field: to } : d)),
    ...(err.provider ? { provider: err.provider } : {}),
    ...(err.data === undefined ? {} : { data: err.data }),
  });
}

export const conflict = (code: string, message: string, data?: unknown) => new DomainError('conflict', code, message, { data });

/** What an orchestrator's HTTP status means to the core: an error kind and a stable code. */
export interface ProviderStatusError {
  kind: ErrorKind;
  code: string;
}

const AUTH_FAILED: ProviderStatusError = { kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED' };
const REJECTED: ProviderStatusError = { kind: 'invalid', code: 'PROVIDER_REJECTED' };
const NOT_FOUND: ProviderStatusError = { kind: 'not_found', code: 'PROVIDER_NOT_FOUND' };
const UNAVAILABLE: ProviderStatusError = { kind: 'unavailable', code: 'PROVIDER_UNAVAILABLE' };

/**
 * The one table from an orchestrator's HTTP status to an error kind, for every provider. 400, 413
 * and 422 refuse what the caller asked for (a conf, a date), so they stay the caller's `invalid`;
 * 401/403 refuse the connector's credentials, never the caller's (`bad_gateway`); 404 and 410 say the
 * thing is not (or no longer) there; 502 and 503 are what a proxy or the orchestrator say when it
 * cannot serve at all; 504 is a gateway's timeout. Every other status (500, 405 and other 4xx that
 * mean our request does not fit the orchestrator, 3xx) is the orchestrator failing us:
 * `PROVIDER_STATUS_DEFAULT`.
 */
export const PROVIDER_STATUS_ERRORS: Readonly<Record<number, ProviderStatusError>> = {
  400: REJECTED,
  401: AUTH_FAILED,
  403: AUTH_FAILED,
  404: NOT_FOUND,
  409: { kind: 'conflict', code: 'PROVIDER_CONFLICT' },
  410: NOT_FOUND,
  413: REJECTED,
  422: REJECTED,
  429: { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED' },
  502: UNAVAILABLE,
  503: UNAVAILABLE,
  504: { kind: 'timeout', code: 'PROVIDER_TIMEOUT' },
};

/** The kind and code of any status the table does not list. */
export const PROVIDER_STATUS_DEFAULT: ProviderStatusError = { kind: 'bad_gateway', code: 'PROVIDER_ERROR' };

/** How a request to an orchestrator that got no answer failed: no answer in time, a refused connection, or any other failure to reach it. */
export type TransportFailure = 'timeout' | 'refused' | 'unreachable';

/** The transport failure a socket error code stands for (`ETIMEDOUT`, `ECONNREFUSED` …). */
export function transportFailure(code: string | undefined): TransportFailure {
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  return 'unreachable';
}

/** A `Retry-After` header (seconds, or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: unknown, now: number = Date.now()): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The kind and code for an orchestrator's HTTP status (see PROVIDER_STATUS_ERRORS). */
export const providerStatusError = (status: number): ProviderStatusError => PROVIDER_STATUS_ERRORS[status] ?? PROVIDER_STATUS_DEFAULT;

/**
 * The error for an orchestrator's HTTP answer, its status and message kept in `provider`; kind and
 * code from PROVIDER_STATUS_ERRORS.
 */
export function providerError(name: string, status: number, message: string, options: ErrorOptions = {}): DomainError {
  const { kind, code } = providerStatusError(status);
  const text: Record<string, string> = {
    PROVIDER_AUTH_FAILED: `${name} refused the connector's credentials (${status}): ${message}`,
    PROVIDER_RATE_LIMITED: `${name} is rate limiting: ${message}`,
    PROVIDER_UNAVAILABLE: `${name} is unavailable (${status}): ${message}`,
    PROVIDER_TIMEOUT: `${name} timed out: ${message}`,
    PROVIDER_REJECTED: `${name} rejected the request (${status}): ${message}`,
    PROVIDER_ERROR: `${name} failed (${status}): ${message}`,
  };
  return new DomainError(kind, code, text[code] ?? `${name}: ${message}`, { ...options, provider: { name, status, message } });
}
