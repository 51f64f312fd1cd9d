import type { components } from './generated/openapi';

export type ErrorDetail = components['schemas']['ErrorDetail'];
export type ErrorBody = components['schemas']['Error']['error'];
type RunDetail = components['schemas']['RunDetail'];
type Sync = components['schemas']['Sync'];

/** Every error the client throws: `code` says what happened (the API's own code for an API error). */
export class SignalboxError extends Error {
  override name = 'SignalboxError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The API answered with an error: its status, `code`, message and details, as `error` in the body. */
export class ApiError extends SignalboxError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly requestId: string | null,
  ) {
    super(body.code, body.message);
  }

  get details(): ErrorDetail[] {
    return this.body.details;
  }

  /** An answer that is not the API's error shape (a proxy's page, say) still becomes an ApiError. */
  static async from(response: Response, parsed: unknown): Promise<ApiError> {
    const requestId = response.headers.get('x-request-id');
    const error = (parsed as { error?: ErrorBody } | undefined)?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new ApiError(response.status, { ...error, details: Array.isArray(error.details) ? error.details : [] }, requestId);
    }
    const text = typeof parsed === 'string' ? parsed.slice(0, 200) : '';
    return new ApiError(
      response.status,
      { code: `HTTP_${response.status}`, message: text || response.statusText || `HTTP ${response.status}`, details: [] },
      requestId,
    );
  }
}

/** The server could not be reached (refused, reset, DNS): nothing was answered. */
export class ConnectionError extends SignalboxError {
  override name = 'ConnectionError';
  constructor(url: string, cause: unknown) {
    super(
      'UNREACHABLE',
      `cannot reach ${url}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/**
 * A wait ran out of time. The run (or sync) goes on — waiting never cancels — and the error
 * carries it as last seen.
 */
export class WaitTimeoutError extends SignalboxError {
  override name = 'WaitTimeoutError';
  readonly run: RunDetail | null;
  readonly sync: Sync | null;
  constructor(message: string, last: { run: RunDetail } | { sync: Sync }) {
    super('WAIT_TIMEOUT', message);
    this.run = 'run' in last ? last.run : null;
    this.sync = 'sync' in last ? last.sync : null;
  }
}
