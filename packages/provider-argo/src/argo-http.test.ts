import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DomainError } from '@signalbox/core';
import { ArgoClient } from './argo-http';

// The client over real HTTP against a scripted server: each request is answered by the next handler.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let url: string;
let script: Handler[];
let seen: { method: string; url: string; auth: string | undefined; body: string }[];

beforeEach(async () => {
  script = [];
  seen = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const h = script.shift();
      if (h) h(req, res, body);
      else json(500, { code: 13, message: 'no script' })(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

const client = (opts: Partial<ConstructorParameters<typeof ArgoClient>[3]> = {}) =>
  new ArgoClient(url, 'data', 'tok', { retries: 2, retryBaseMs: 10, maxRetryDelayMs: 2000, timeoutMs: 2000, ...opts });

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as DomainError;
    return { kind: e.kind, code: e.code, provider: e.provider };
  }
  throw new Error('expected a failure');
}

const wf = { metadata: { name: 'w1', uid: 'u1' }, status: { phase: 'Running' } };

describe('ArgoClient', () => {
  it('sends the bearer token, the namespace in the path and only declared query parameters', async () => {
    script.push(json(200, { metadata: { continue: '2' }, items: [wf] }));
    const page = await client().listWorkflows({ labelSelector: 'a=b', limit: 2, fields: 'items.metadata.name' });
    expect(page).toEqual({ items: [wf], continue: '2' });
    expect(seen[0].auth).toBe('Bearer tok');
    const u = new URL(seen[0].url, url);
    expect(u.pathname).toBe('/api/v1/workflows/data');
    expect([...u.searchParams.keys()].sort()).toEqual(['fields', 'listOptions.labelSelector', 'listOptions.limit']);
  });

  it('reads a null item list and an empty continue as the last page', async () => {
    script.push(json(200, { metadata: { continue: '' }, items: null }));
    expect(await client().listWorkflowTemplates({ limit: 5 })).toEqual({ items: [], continue: null });
  });

  it.each([
    [401, 'bad_gateway', 'PROVIDER_AUTH_FAILED'],
    [403, 'bad_gateway', 'PROVIDER_AUTH_FAILED'],
    [404, 'not_found', 'WORKFLOW_NOT_FOUND'],
    [400, 'invalid', 'PROVIDER_REJECTED'],
  ])('maps %i to %s %s with the grpc message', async (status, kind, code) => {
    script.push(json(status, { code: 7, message: `the words of ${status}` }));
    expect(await failure(client().getWorkflow('w1'))).toEqual({ kind, code, provider: { name: 'argo', status, message: `the words of ${status}` } });
    expect(seen).toHaveLength(1);
  });

  it('maps a 409 on submit to WORKFLOW_EXISTS and never resends a submit after a 503', async () => {
    script.push(json(409, { code: 6, message: 'workflows.argoproj.io "x" already exists' }));
    expect(await failure(client().submit('WorkflowTemplate', 't', { name: 'x' }))).toMatchObject({ kind: 'conflict', code: 'WORKFLOW_EXISTS' });
    script.push(json(503, { code: 14, message: 'down' }));
    expect(await failure(client().submit('WorkflowTemplate', 't', { name: 'x' }))).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNAVAILABLE' });
    expect(seen).toHaveLength(2);
    expect(JSON.parse(seen[0].body)).toEqual({ namespace: 'data', resourceKind: 'WorkflowTemplate', resourceName: 't', submitOptions: { name: 'x' } });
  });

  it('retries a GET after a 503 and a 429 with Retry-After, then answers', async () => {
    script.push(json(503, { code: 14, message: 'down' }), json(429, { code: 8, message: 'slow down' }, { 'retry-after': '1' }), json(200, wf));
    const started = Date.now();
    expect(await client().getWorkflow('w1')).toEqual(wf);
    expect(seen).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up on a 429 after its retries: rate_limited', async () => {
    for (let i = 0; i < 3; i++) script.push(json(429, { code: 8, message: 'slow down' }, { 'retry-after': '0' }));
    expect(await failure(client().getWorkflow('w1'))).toMatchObject({ kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', provider: { status: 429 } });
    expect(seen).toHaveLength(3);
  });

  it('says timeout when the server does not answer, after retrying a GET', async () => {
    for (let i = 0; i < 2; i++) script.push(() => undefined);
    expect(await failure(client({ timeoutMs: 200, retries: 1 }).getWorkflow('w1'))).toMatchObject({ kind: 'timeout', code: 'PROVIDER_TIMEOUT' });
    expect(seen).toHaveLength(2);
  });

  it('says unreachable for a dropped connection and for a refused one', async () => {
    script.push((req) => req.socket.destroy());
    expect(await failure(client({ retries: 0 }).getWorkflow('w1'))).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE' });
    const closed = new ArgoClient('http://127.0.0.1:1', 'data', 'tok', { retries: 2, retryBaseMs: 10 });
    expect(await failure(closed.version())).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE' });
  });

  it('says bad response for malformed JSON and for a body that is not a workflow', async () => {
    script.push((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"metadata": ');
    });
    expect(await failure(client().getWorkflow('w1'))).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_BAD_RESPONSE' });
    script.push(json(200, [1, 2]));
    expect(await failure(client().getWorkflow('w1'))).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_BAD_RESPONSE' });
  });

  it('keeps the text of a non-JSON error page and reduces HTML to its status', async () => {
    script.push((_q, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    expect(await failure(client({ retries: 0 }).version())).toMatchObject({ kind: 'unavailable', provider: { status: 502, message: 'HTTP 502' } });
  });
});
