import { Writable } from 'node:stream';
import { ProviderRegistry } from '@signalbox/core';
import { buildContainer } from './container';
import { coreLogger, createLogger, redact } from './logging';
import { testConfig } from './test-support';
import { T } from './tokens';

describe('container bindings', () => {
  it('resolves every binding once, async ones with getAsync, and the app answers', async () => {
    const config = testConfig({ secretKey: null });
    const c = buildContainer(config);
    try {
      expect(() => c.get(T.services)).toThrow(); // async binding: get() refuses it
      for (const token of Object.values(T) as symbol[]) expect(await c.getAsync(token)).toBeDefined();
      expect(await c.getAsync(T.services)).toBe(await c.getAsync(T.services)); // singleton
      const registry = c.get(T.registry);
      expect(registry).toBeInstanceOf(ProviderRegistry);
      expect(registry.supports('mock') && registry.supports('airflow')).toBe(true);
      expect((await c.getAsync(T.secretKey)).length).toBeGreaterThanOrEqual(16); // generated into the data folder
      const db = await c.getAsync(T.database);
      await expect(db.ping()).resolves.toBeUndefined();
      await db.close();
    } finally {
      config.cleanup();
    }
  });
});

describe('logging', () => {
  it('writes JSON lines without keys, passwords or tokens', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', stream);
    coreLogger(logger).info('connector saved', {
      password: 'hunter2',
      config: { token: 'tok-123', base_url: 'https://user:pw@airflow.example.com/' },
      authorization: 'Bearer sbx_abcdefghijklmnop',
      note: 'the key sbx_abcdefghijklmnop leaked into a message',
    });
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'info', message: 'connector saved', password: '[redacted]', authorization: '[redacted]' });
    expect(entry.config.token).toBe('[redacted]');
    const text = lines.join('');
    for (const secret of ['hunter2', 'tok-123', ':pw@', 'sbx_abcdefghijklmnop']) expect(text).not.toContain(secret);
    expect(redact({ nested: [{ api_key: 'x' }] })).toEqual({ nested: [{ api_key: '[redacted]' }] });
  });
});
