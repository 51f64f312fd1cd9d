import type { Logger, Services } from '@signalbox/core';
import { DomainError, newConnector } from '@signalbox/core';
import request from 'supertest';
import { buildApp } from './app';
import { connectorDto } from './dto';
import { STATUS } from './errors';

const recording = () => {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (message, meta) => lines.push({ level: 'info', message, meta }),
    warn: (message, meta) => lines.push({ level: 'warn', message, meta }),
    error: (message, meta) => lines.push({ level: 'error', message, meta }),
  };
  return { logger, lines };
};

/** Services whose `me` throws what the test says, behind a key that always authenticates. */
const throwing = (err: unknown) =>
  ({
    access: {
      authenticate: async () => ({ userId: 'u1', instanceAdmin: false }),
      me: async () => {
        throw err;
      },
    },
  }) as unknown as Services;

describe('error mapping', () => {
  it.each(Object.entries(STATUS))('maps kind %s to %i with the JSON error body', async (kind, status) => {
    const err = new DomainError(kind as keyof typeof STATUS, 'SOME_CODE', 'it went wrong', { details: [{ field: 'x', reason: 'y' }] });
    const res = await request(buildApp(throwing(err), { ready: async () => {} }))
      .get('/api/v1.0/me')
      .set('Authorization', 'Bearer sbx_k');
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code: 'SOME_CODE', message: 'it went wrong', details: [{ field: 'x', reason: 'y' }] } });
  });

  it('logs anything else with its cause and answers a generic 500', async () => {
    const { logger, lines } = recording();
    const err = new Error('socket hang up', { cause: new Error('ECONNRESET') });
    const res = await request(buildApp(throwing(err), { ready: async () => {}, logger }))
      .get('/api/v1.0/me')
      .set('Authorization', 'Bearer sbx_k');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'the server failed to handle this request', details: [] } });
    expect(JSON.stringify(res.body)).not.toContain('socket');
    const logged = lines.find((l) => l.level === 'error');
    expect(logged?.meta).toMatchObject({ error: 'socket hang up', request_id: res.headers['x-request-id'] });
    expect(String(logged?.meta?.cause)).toContain('ECONNRESET');
  });

  it('logs one access line per request without headers or keys', async () => {
    const { logger, lines } = recording();
    const err = new DomainError('not_found', 'USER_NOT_FOUND', 'no');
    await request(buildApp(throwing(err), { ready: async () => {}, logger }))
      .get('/api/v1.0/me')
      .set('Authorization', 'Bearer sbx_secret_value');
    const access = lines.filter((l) => l.message === 'request');
    expect(access).toHaveLength(1);
    expect(access[0].meta).toMatchObject({ method: 'GET', path: '/api/v1.0/me', status: 404, user_id: 'u1' });
    expect(JSON.stringify(lines)).not.toContain('sbx_secret_value');
  });
});

describe('connector DTO', () => {
  it('never carries secrets, only whether they are set', () => {
    const now = new Date();
    const dto = connectorDto(
      newConnector(
        {
          id: 'c',
          spaceId: 's',
          name: 'prod',
          type: 'airflow',
          config: { base_url: 'https://af.example.com', username: 'svc', password: 'hunter2', token: '' },
        },
        now,
      ),
    );
    expect(dto.config).toEqual({ base_url: 'https://af.example.com', username: 'svc', password_set: true, token_set: false });
    expect(JSON.stringify(dto)).not.toContain('hunter2');
  });
});
