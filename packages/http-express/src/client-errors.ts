import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@signalbox/core';

/**
 * Node's own limit on the request line plus headers is 16 KiB; the API keeps it, deliberately,
 * and says so in its answer. Pass the same number to `http.createServer({ maxHeaderSize })`.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/** Node's parser errors that are the client's doing, as the API's error codes. */
const PARSER_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request line and headers together are larger than {limit} bytes'],
  HPE_URI_TOO_LONG: [414, 'URI_TOO_LONG', 'the request URL is too long'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive'],
  HPE_HEADERS_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request headers took too long to arrive'],
};

/**
 * A `clientError` listener for the HTTP server: requests Node refuses before Express sees them
 * (headers over the limit, a URL too long, bytes that are not HTTP) are answered in the API's
 * error shape instead of Node's bare status line with an empty body, and the connection closed.
 */
export function clientErrorHandler(logger: Logger, maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    // A reset connection or one already written to has nobody to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, message] = PARSER_ERRORS[err.code ?? ''] ?? [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'];
    const text = message.replace('{limit}', String(maxHeaderBytes));
    logger.warn('request refused by the HTTP parser', { status, code: err.code });
    const body = JSON.stringify({ error: { code, message: text, details: [] } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
