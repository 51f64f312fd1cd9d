import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli';
import { freshDatabase } from './test-support';

jest.setTimeout(60_000);

// The CLI on PostgreSQL (PGlite's CommonJS build does not load under Jest; the server tests cover PGlite).
describe('cli', () => {
  let database: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-cli-'));
  const cli = async (...argv: string[]) => {
    const r = await runCli(argv, env);
    return { ...r, json: r.code === 0 ? JSON.parse(r.output) : undefined };
  };

  beforeAll(async () => {
    database = await freshDatabase('cli');
    env = { DATABASE_URL: database.url, SIGNALBOX_SECRET_KEY: 'cli-test-secret-key-0123', SIGNALBOX_DATA_DIR: dataDir, LOG_LEVEL: 'error' };
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, creates a user, a space it administers and an API key for it', async () => {
    expect((await cli('migrate')).json).toEqual({ migrated: true, dialect: 'postgres' });
    const user = await cli('create-user', 'Ops@Example.com', 'Ops', '--instance-admin');
    expect(user.json).toMatchObject({ email: 'ops@example.com', instance_admin: true });
    const space = await cli('create-space', 'ops', 'Operations', '--owner', 'ops@example.com');
    expect(space.json).toMatchObject({ slug: 'ops', admin: 'ops@example.com' });
    const key = await cli('create-api-key', user.json.id, '--name', 'laptop', '--expires-at', '2999-01-01T00:00:00Z');
    expect(key.json).toMatchObject({ user_id: user.json.id, name: 'laptop', key: expect.stringMatching(/^sbx_/) });
    expect(key.json.key.startsWith(key.json.prefix)).toBe(true);
  });

  it('refuses bad input with the core error and a non-zero exit', async () => {
    const bad = await cli('create-space', 'Bad Slug', 'x', '--owner', 'ops@example.com');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.output).error.details[0].field).toBe('slug');
    expect((await cli('create-space', 'x2', 'x', '--owner', 'nobody@example.com')).output).toBe("no user 'nobody@example.com'");
    expect((await cli('create-user', 'ops@example.com', 'Again')).code).toBe(1);
    expect((await cli('create-space', 'only-slug')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('create-api-key', 'ops@example.com', '--expires-at', 'soon')).code).toBe(2);
  });

  it('reports a wrong environment with the variable named', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: database.url, LOG_LEVEL: 'error' });
    expect(r.code).toBe(2);
    expect(r.output).toContain('SIGNALBOX_SECRET_KEY: is required with DATABASE_URL');
  });
});
