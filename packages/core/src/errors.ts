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

/** A rejected input value. `field` uses the wire name (snake_case). */
export const invalid = (field: string, reason: string, code = 'INVALID_INPUT') =>
  new DomainError('invalid', code, `${field}: ${reason}`, { details: [{ field, reason }] });

export const conflict = (code: string, message: string, data?: unknown) => new DomainError('conflict', code, message, { data });

/**
 * The error for an orchestrator's HTTP answer, its status and message kept in `provider`:
 * 400/422 invalid, 401/403 bad_gateway (our connector's credentials were refused, never the
 * caller's), 404 not_found, 409 conflict, 429 rate_limited, 503/504 unavailable/timeout, other 5xx
 * bad_gateway.
 */
export function providerError(name: string, status: number, message: string, options: ErrorOptions = {}): DomainError {
  const provider = { name, status, message };
  const make = (kind: ErrorKind, code: string, text: string) => new DomainError(kind, code, text, { ...options, provider });
  if (status === 401 || status === 403) {
    return make('bad_gateway', 'PROVIDER_AUTH_FAILED', `${name} refused the connector's credentials (${status}): ${message}`);
  }
  if (status === 404) return make('not_found', 'PROVIDER_NOT_FOUND', `${name}: ${message}`);
  if (status === 409) return make('conflict', 'PROVIDER_CONFLICT', `${name}: ${message}`);
  if (status === 429) return make('rate_limited', 'PROVIDER_RATE_LIMITED', `${name} is rate limiting: ${message}`);
  if (status === 503) return make('unavailable', 'PROVIDER_UNAVAILABLE', `${name} is unavailable: ${message}`);
  if (status === 504) return make('timeout', 'PROVIDER_TIMEOUT', `${name} timed out: ${message}`);
  if (status >= 400 && status < 500) return make('invalid', 'PROVIDER_REJECTED', `${name} rejected the request (${status}): ${message}`);
  return make('bad_gateway', 'PROVIDER_ERROR', `${name} failed (${status}): ${message}`);
}
