import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { silentLogger } from '@signalbox/core';
import { clientErrorHandler, DEFAULT_MAX_HEADER_BYTES } from './client-errors';

/** Sends raw bytes and resolves with everything the server wrote before it closed. */
const raw = (port: number, text: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });

describe('clientErrorHandler', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ maxHeaderSize: DEFAULT_MAX_HEADER_BYTES }, (_req, res) => {
      res.end('ok');
    });
    server.on('clientError', clientErrorHandler(silentLogger));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const parse = (answer: string) => {
    const [head, body] = answer.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), head, json: JSON.parse(body) };
  };

  it('answers a URL over the header limit with 431 in the error shape', async () => {
    const res = parse(await raw(port, `GET /api/v1.0/spaces?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(res.status).toBe(431);
    expect(res.head).toMatch(/content-type: application\/json/i);
    expect(res.json.error).toEqual({ code: 'HEADERS_TOO_LARGE', message: expect.stringContaining('16384 bytes'), details: [] });
  });

  it('answers one header over the limit the same way, and a request just under it normally', async () => {
    const big = parse(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17_000)}\r\n\r\n`));
    expect([big.status, big.json.error.code]).toEqual([431, 'HEADERS_TOO_LARGE']);
    const fits = await raw(port, `GET /?q=${'a'.repeat(15_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(fits).toMatch(/^HTTP\/1.1 200/);
  });

  it('answers bytes that are not HTTP with 400 MALFORMED_REQUEST', async () => {
    const res = parse(await raw(port, 'HELLO THERE\r\n\r\n'));
    expect([res.status, res.json.error.code]).toEqual([400, 'MALFORMED_REQUEST']);
  });
});
