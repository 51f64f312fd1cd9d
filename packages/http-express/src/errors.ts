import { type ErrorDetail, type ErrorKind, isDomainError, type Logger, type SyncRecord } from '@signalbox/core';
import type { ErrorRequestHandler, Response } from 'express';
import { detailDto, syncDto } from './dto';

/** The one table from error kinds to HTTP statuses; the type keeps it exhaustive. */
export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};

export function sendError(res: Response, status: number, code: string, message: string, details: ErrorDetail[] = [], extra: Record<string, unknown> = {}) {
  res.status(status).json({ error: { code, message, details: details.map(detailDto), ...extra } });
}

/** body-parser's own errors, by their `type`. */
const PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'MALFORMED_JSON', 'the request body is not valid JSON'],
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than the server accepts'],
  'encoding.unsupported': [415, 'UNSUPPORTED_ENCODING', 'the request body encoding is not supported'],
  'charset.unsupported': [415, 'UNSUPPORTED_CHARSET', 'the request body charset is not supported'],
  'request.aborted': [400, 'REQUEST_ABORTED', 'the request was aborted'],
  'request.size.invalid': [400, 'REQUEST_INVALID', 'the request body length does not match Content-Length'],
};

/**
 * Turns a thrown error into the JSON error body: DomainErrors by kind (with their details, the
 * orchestrator's answer and a running sync when present), body-parser errors by type, and anything
 * else into a logged, generic 500.
 */
export const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (isDomainError(err)) {
      const extra: Record<string, unknown> = {};
      if (err.provider) extra.provider = err.provider;
      if (err.code === 'SYNC_RUNNING' && err.data) extra.sync = syncDto(err.data as SyncRecord);
      if (err.code === 'VERSION_CONFLICT' && err.data) extra.current_version = (err.data as { current_version: number }).current_version;
      const status = STATUS[err.kind];
      if (status >= 500) logger.warn('request failed upstream', { request_id: res.locals.requestId, code: err.code, error: err.message });
      return sendError(res, status, err.code, err.message, err.details, extra);
    }
    const parser = typeof err?.type === 'string' ? PARSER_ERRORS[err.type] : undefined;
    if (parser) {
      const [status, code, message] = parser;
      return sendError(res, status, code, message, status === 400 ? [{ field: 'body', reason: message }] : []);
    }
    if (err instanceof URIError) {
      // Express could not decode a path parameter (`%zz`, a truncated or overlong UTF-8 escape):
      // the client's mistake, so a 400 and a one-line log, never a stack trace.
      logger.warn('malformed path', { request_id: res.locals.requestId, method: req.method, error: err.message });
      const reason = 'has a malformed percent-escape (not UTF-8 encoded)';
      return sendError(res, 400, 'PATH_INVALID', `the request path ${reason}`, [{ field: 'path', reason }]);
    }
    logger.error('unhandled error', {
      request_id: res.locals.requestId,
      method: req.method,
      path: req.path,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
      cause:
        err instanceof Error && err.cause !== undefined ? String(err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : err.cause) : undefined,
    });
    return sendError(res, 500, 'INTERNAL_ERROR', 'the server failed to handle this request');
  };
